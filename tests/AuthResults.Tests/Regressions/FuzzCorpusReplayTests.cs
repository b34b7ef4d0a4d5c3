using System.Text;
using Milters.AuthResults.Syntax;
using Milters.Testing.Peers;
using Milters.Abstractions;

namespace Milters.AuthResults.Tests.Regressions;

/// <summary>
/// The committed fuzz corpus (fuzz/corpus/authres) replayed once, so what the fuzzer found stays fixed:
/// the parser and the authserv-id reader never throw, and what parses still parses the same after our
/// formatter wrote it back (control
/// characters written as spaces).
/// </summary>
public class FuzzCorpusReplayTests
{
    [Fact]
    public void Corpus_parses_or_is_rejected_and_round_trips_through_the_formatter()
    {
        var files = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "fuzz", "corpus", "authres")).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        var formatter = new AuthResultsFormatter();
        var parsed = 0;
        foreach (var file in files)
        {
            var text = Encoding.UTF8.GetString(File.ReadAllBytes(file));
            AuthservIdReader.Read(text);
            AuthResultsParser.TryParse(text, out _, out _, utf8: false);
            if (!AuthResultsParser.TryParse(text, out var header, out var error))
            {
                Assert.False(string.IsNullOrEmpty(error), file);
                continue;
            }
            parsed++;
            var written = formatter.FormatValue(header!);
            Assert.True(AuthResultsParser.TryParse(written, out var again, out error), $"{file}: {error}: {written}");
            // Control characters (a TAB inside a quoted authserv-id too) are written as a space on purpose.
            Assert.Equal(HeaderText.Sanitize(header!.AuthservId), again!.AuthservId);
            Assert.Equal(header.Results.Select(r => (r.Method.ToLowerInvariant(), r.Result.ToLowerInvariant())),
                again.Results.Select(r => (r.Method.ToLowerInvariant(), r.Result.ToLowerInvariant())));
        }
        Assert.True(parsed > 0);
    }
}
