using System.Text;
using Milters.Abstractions;
using Milters.DomainKeys.Keys;
using Milters.DomainKeys.Tags;
using Milters.DomainKeys.Verifying;
using Milters.Testing.Peers;

namespace Milters.DomainKeys.Tests.Regressions;

/// <summary>
/// The committed fuzz corpora (fuzz/corpus/dk-tags, pra) replayed once, so what the fuzzers found stays
/// fixed: tag lists, DomainKey-Signature values, key records and sending addresses report bad input by
/// returning false/null, never by throwing.
/// </summary>
public class FuzzCorpusReplayTests
{
    private static IEnumerable<string> Corpus(string target)
    {
        var files = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "fuzz", "corpus", target)).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        return files;
    }

    [Fact]
    public void Tag_corpus_parses_or_reports_an_error()
    {
        int signatures = 0, keys = 0;
        foreach (var file in Corpus("dk-tags"))
        {
            var text = Encoding.UTF8.GetString(File.ReadAllBytes(file));
            if (!TagList.TryParse(text, out _, out var tagError)) Assert.False(string.IsNullOrEmpty(tagError), file);
            if (DomainKeySignature.TryParse(text, requireQueryTag: false, out var signature, out var error))
            {
                signatures++;
                Assert.NotNull(signature);
            }
            else Assert.False(string.IsNullOrEmpty(error), file);
            if (KeyRecord.TryParse(text, out var key, out _))
            {
                keys++;
                key!.AllowsLocalPart("user");
                key.PublicKey?.Dispose();
            }
        }
        // The seeds hold the DomainKey-Signature headers and DNS keys of tests/data/domainkeys.
        Assert.True(signatures > 0 && keys > 0, $"{signatures} signatures, {keys} keys parsed");
    }

    [Fact]
    public void Header_corpus_finds_a_sending_address_or_none()
    {
        var found = 0;
        foreach (var file in Corpus("pra"))
        {
            var bytes = File.ReadAllBytes(file);
            var headers = new List<HeaderField>();
            foreach (var line in Encoding.UTF8.GetString(bytes).Replace("\r\n ", " ").Replace("\r\n\t", "\t").Split('\n'))
            {
                var colon = line.IndexOf(':');
                if (colon > 0) headers.Add(new HeaderField(line[..colon], Encoding.UTF8.GetBytes(line[(colon + 1)..].TrimEnd('\r'))));
            }
            var address = SendingAddress.Find(headers);
            if (address is not null)
            {
                found++;
                Assert.Equal(address.Address[(address.LocalPart.Length + 1)..].TrimEnd('.').ToLowerInvariant(), address.Domain);
                Assert.True(address.IsInDomain(address.Domain), file);
            }
        }
        Assert.True(found > 0);
    }
}
