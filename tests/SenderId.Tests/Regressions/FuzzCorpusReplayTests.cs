using System.Net;
using System.Text;
using Milters.Abstractions;
using Milters.SenderId.Pra;
using Milters.SenderId.Spf;
using Milters.Testing.Dns;
using Milters.Testing.Peers;

namespace Milters.SenderId.Tests.Regressions;

/// <summary>
/// The committed fuzz corpora (fuzz/corpus/spf-record, spf-macro, pra) replayed once, so what the
/// fuzzers found stays fixed: the SPF parsers raise only <see cref="SpfException"/>, check_host() never
/// throws, the PRA is chosen without exceptions.
/// </summary>
public class FuzzCorpusReplayTests
{
    private static IEnumerable<string> Corpus(string target)
    {
        var files = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "fuzz", "corpus", target)).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        return files;
    }

    private static string Text(string file) => Encoding.UTF8.GetString(File.ReadAllBytes(file));

    [Fact]
    public async Task Spf_record_corpus_parses_or_permerrors_and_evaluates_without_throwing()
    {
        var dns = new InMemoryDnsResolver()
            .AddA("example.com", "192.0.2.10").AddMx("example.com", 10, "mx.example.com").AddA("mx.example.com", "192.0.2.20")
            .AddTxt("_spf.example.net", "v=spf1 a:mail.%{o} -all");
        var evaluator = new SpfEvaluator(dns, new SpfEvaluatorOptions { ReceiverName = "mx.example.net" });
        int parsed = 0, total = 0;
        foreach (var file in Corpus("spf-record"))
        {
            total++;
            var record = new TxtRecord(Text(file).Split('\0'));
            try
            {
                SpfRecordParser.Parse(record.Text);
                parsed++;
            }
            catch (SpfException)
            {
            }
            var domain = $"r{total}.fuzz.example";
            dns.AddTxt(domain, [.. record.Strings]);
            var outcome = await evaluator.CheckHostAsync(SpfRequest.ForMailFrom(IPAddress.Parse("192.0.2.1"), "user@" + domain, "helo.example"));
            Assert.True(Enum.IsDefined(outcome.Result), file);
        }
        Assert.True(parsed >= total / 4, $"only {parsed} of {total} records parse");
    }

    [Fact]
    public async Task Spf_macro_corpus_parses_or_permerrors_and_expands()
    {
        var context = new MacroContext("strong-bad@email.example.com", "email.example.com", IPAddress.Parse("192.0.2.3"), "mx.example.org",
            "mx.example.net", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), _ => ValueTask.FromResult("mx.example.org"));
        var expanded = 0;
        foreach (var file in Corpus("spf-macro"))
        {
            foreach (var explain in new[] { false, true })
            {
                try
                {
                    var spec = MacroString.Parse(Text(file), explain);
                    await MacroExpander.ExpandAsync(spec, context);
                    expanded++;
                }
                catch (SpfException)
                {
                }
            }
        }
        Assert.True(expanded > 0);
    }

    [Fact]
    public void Pra_corpus_chooses_or_reports_without_throwing()
    {
        var found = 0;
        foreach (var file in Corpus("pra"))
        {
            var headers = FuzzHeaders.Split(File.ReadAllBytes(file));
            var pra = PraExtractor.Find(headers, out var failure);
            Assert.True(pra is not null ^ failure is not null, file);
            if (pra is not null)
            {
                found++;
                Assert.Equal(pra.Address, pra.LocalPart + "@" + pra.Domain);
            }
            PraExtractor.TryParseSingleMailbox(Text(file), out _, out _);
        }
        Assert.True(found > 0);
    }
}

/// <summary>A header block as the fuzz target splits it: "Name: value" lines, folded lines continue a field.</summary>
internal static class FuzzHeaders
{
    public static List<HeaderField> Split(byte[] bytes)
    {
        var headers = new List<HeaderField>();
        var lines = new List<(int Start, int End)>();
        int start = 0;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == (byte)'\n')
            {
                if (i > start) lines.Add((start, i));
                start = i + 1;
            }
        }
        for (int l = 0; l < lines.Count; l++)
        {
            var (s, e) = lines[l];
            int colon = Array.IndexOf(bytes, (byte)':', s, e - s);
            if (colon <= s) continue;
            int end = e;
            while (l + 1 < lines.Count && bytes[lines[l + 1].Start] is (byte)' ' or (byte)'\t') end = lines[++l].End;
            headers.Add(new HeaderField(Encoding.ASCII.GetString(bytes, s, colon - s), bytes.AsMemory(colon + 1, end - colon - 1)));
        }
        return headers;
    }
}
