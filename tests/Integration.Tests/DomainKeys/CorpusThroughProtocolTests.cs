using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// The published DomainKeys corpus (Mail::DKIM's real Yahoo, Gmail and Messiah messages, tests/data/domainkeys)
/// through the whole path a message takes: the built host, the milter protocol as Postfix and as Sendmail send it
/// (their header framing, leading spaces, body chunks), the keys from BIND, the verdicts read back out of the
/// Authentication-Results field the host inserts. DomainKeys.Tests checks the same verdicts on the plugin alone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class CorpusThroughProtocolTests(CorpusThroughProtocolTests.Host host) : IClassFixture<CorpusThroughProtocolTests.Host>
{
    /// <summary>One host for every case, with the corpus's key records (dns.json) in its DNS server.</summary>
    public sealed class Host : IDisposable
    {
        internal DomainKeysMilter Milter { get; } = DomainKeysMilter.Start(moreZone: _ => CorpusZone());

        private static string CorpusZone()
        {
            var zone = new StringBuilder();
            using var dns = JsonDocument.Parse(File.ReadAllText(RepoPaths.Data("domainkeys", "dns.json")));
            foreach (var record in dns.RootElement.GetProperty("records").EnumerateObject())
            {
                // NXDOMAIN names are simply absent; the names that time out or fail belong to DKIM-only messages.
                if (record.Value.ValueKind == JsonValueKind.Object && record.Value.TryGetProperty("TXT", out var txt))
                    zone.Append(DomainKeysMilter.Txt(record.Name, txt.GetString()!));
            }
            return zone.ToString();
        }

        public void Dispose() => Milter.Dispose();
    }

    public static IEnumerable<object[]> Cases()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(RepoPaths.Data("domainkeys", "manifest.json")));
        foreach (var entry in manifest.RootElement.EnumerateArray())
        {
            if (entry.GetProperty("kind").GetString() != "domainkeys") continue;
            foreach (var mta in new[] { "Postfix", "Sendmail" }) yield return [entry.GetProperty("file").GetString()!, mta];
        }
    }

    /// <summary>The manifest's verdict per signature, in Mail::DKIM's words.</summary>
    private static List<string> Expected(string file)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(RepoPaths.Data("domainkeys", "manifest.json")));
        var entry = manifest.RootElement.EnumerateArray().First(e => e.GetProperty("file").GetString() == file);
        var expected = entry.GetProperty("expected").GetString()!;
        // bad_dk_3 (no q=): skipped by its source, since Mail::DKIM accepts a missing q= as good_dk_2 needs; our
        // default is that leniency, so it is held to Mail::DKIM's cross-check result (as in CorpusTests).
        if (entry.TryGetProperty("skipped_in_source", out _))
            expected = entry.GetProperty("crosscheck_mail_dkim_1_20230212").GetProperty("result").GetString()!;
        return entry.TryGetProperty("per_signature", out var per)
            ? per.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString()! : p.GetProperty("result").GetString()!).ToList()
            : Enumerable.Repeat(expected, entry.GetProperty("signatures").GetArrayLength()).ToList();
    }

    /// <summary>RFC 8601 result words to Mail::DKIM's: a key that could not be used is "invalid" there.</summary>
    private static string MailDkimWord(string result) => result is "permerror" or "temperror" ? "invalid" : result;

    [GeneratedRegex(@"\bdomainkeys=([a-z]+)")]
    private static partial Regex DomainKeysResult();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_corpus_message_gets_its_verdict_through_the_milter_protocol(string file, string mta)
    {
        var message = File.ReadAllText(RepoPaths.Data("domainkeys", file), Encoding.ASCII);
        var eom = await host.Milter.SendAsync(mta == "Postfix" ? MtaOffer.Postfix : MtaOffer.Sendmail, "203.0.113.9", message);

        Assert.True(eom.Verdict.IsContinue || eom.Verdict.IsAccept, $"{eom.Verdict}\n{host.Milter.Milter.Output}");
        Assert.DoesNotContain(eom.AddedHeaders, h => h.Name == "DomainKey-Signature");
        var ar = Assert.Single(eom.AddedHeaders, h => h.Name == "Authentication-Results").Value!;
        var verdicts = DomainKeysResult().Matches(ar).Select(m => MailDkimWord(m.Groups[1].Value)).ToList();
        Assert.True(Expected(file).SequenceEqual(verdicts), $"{file} via {mta}: expected {string.Join(", ", Expected(file))}; got {ar}");
    }
}
