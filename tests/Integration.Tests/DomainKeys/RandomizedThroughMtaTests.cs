using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Peers;
using Milters.Testing;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// Seeded random messages (<see cref="RandomMessages"/>) submitted on the MSA port of real Postfix and real
/// Sendmail in front of the built host: what the MTA delivers — its own Received field and any rewriting
/// included — carries our signature, and Mail::DKIM verifies every one. Messages with a Sender (some with a
/// From of another domain) are signed for the Sender's domain.
/// </summary>
[Collection(MtaCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RandomizedThroughMtaTests
{
    private const int Count = 8;
    private static readonly int Seed = RandomSeed.Or(4870);
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(MtaKind.Postfix, "simple")]
    [InlineData(MtaKind.Postfix, "nofws")]
    // Not Sendmail with simple: Sendmail folds To:/Cc: anew when it delivers, after the milter signed, so a
    // folded address list breaks a simple signature at every verifier (docs/ADMIN.md: prefer nofws there).
    [InlineData(MtaKind.Sendmail, "nofws")]
    public void What_the_mta_delivers_mail_dkim_verifies(MtaKind kind, string canonicalization)
    {
        using var dk = DomainKeysMilter.Start(new JsonObject
        {
            ["InternalHosts"] = new JsonArray("192.0.2.255/32"),
            ["SigningDaemons"] = new JsonArray("MSA"),
            ["Canonicalization"] = canonicalization,
        });
        using var mta = MtaInstance.Start(kind, dk.Milter.Socket);
        using var dir = new TempDir("dk-random-mta");
        var generator = new RandomMessages(Seed);
        var sent = new List<string>();
        for (var i = 0; i < Count; i++)
        {
            var message = generator.Next().Replace("\r\n", "\n");
            var id = message.Split('\n').First(l => l.StartsWith("Message-ID:", StringComparison.Ordinal))["Message-ID:".Length..].Trim();
            var result = mta.Send(new SwaksMessage { From = "alice@example.com", Data = message }, submission: true);
            Assert.True(result.Accepted, $"{result}\n{mta.Describe()}\n{dk.Milter.Output}");
            var delivered = mta.Maildir.WaitFor(m => m.Raw.Contains(id, StringComparison.Ordinal), Delivery, id);
            Assert.Single(delivered.HeaderValues("DomainKey-Signature"));
            File.WriteAllBytes(dir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(delivered.Raw));
            sent.Add(message);
        }

        var verdicts = dk.PerlVerifyBatch(dir.Path);
        var wrong = Enumerable.Range(0, Count).Where(i => !verdicts[$"{i:D3}.eml"].StartsWith("result=pass", StringComparison.Ordinal))
            .Select(i => $"seed {Seed}, message {i}:\n--- sent ---\n{sent[i]}\n--- delivered ---\n{File.ReadAllText(dir[$"{i:D3}.eml"])}\n--- Mail::DKIM ---\n{verdicts[$"{i:D3}.eml"]}")
            .ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Count} ({kind}, {canonicalization}):\n" + string.Join("\n\n", wrong));
    }

    /// <summary>
    /// The other way: the random messages signed by Mail::DKIM (nofws) come in on the MTA port; our verdict on
    /// what the MTA delivers is Mail::DKIM's verdict on the same delivered copy. (Sendmail may rewrite a header
    /// and put it above the signature — seen with a From written without a space after the colon —; both then
    /// find no signed From.)
    /// </summary>
    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void What_mail_dkim_signed_we_judge_as_it_does_behind_the_mta(MtaKind kind)
    {
        using var dk = DomainKeysMilter.Start(new JsonObject { ["InternalHosts"] = new JsonArray("192.0.2.255/32") });
        using var mta = MtaInstance.Start(kind, dk.Milter.Socket);
        using var dir = new TempDir("dk-random-mta-in");
        using var deliveredDir = new TempDir("dk-random-mta-delivered");
        var generator = new RandomMessages(Seed);
        for (var i = 0; i < Count; i++) File.WriteAllBytes(dir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(generator.Next()));
        dk.PerlSignBatch(dir.Path, "nofws");

        var ours = new List<string>();
        for (var i = 0; i < Count; i++)
        {
            var signed = File.ReadAllText(dir[$"{i:D3}.eml.signed"]).Replace("\r\n", "\n");
            var id = signed.Split('\n').First(l => l.StartsWith("Message-ID:", StringComparison.Ordinal))["Message-ID:".Length..].Trim();
            var result = mta.Send(new SwaksMessage { From = "alice@example.com", Data = signed });
            Assert.True(result.Accepted, $"{result}\n{mta.Describe()}\n{dk.Milter.Output}");
            var delivered = mta.Maildir.WaitFor(m => m.Raw.Contains(id, StringComparison.Ordinal), Delivery, id);
            ours.Add(delivered.HeaderValues("Authentication-Results")
                .FirstOrDefault(v => v.TrimStart().StartsWith(DomainKeysMilter.AuthservId, StringComparison.Ordinal)) ?? "(no Authentication-Results of ours)");
            File.WriteAllBytes(deliveredDir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(delivered.Raw));
        }

        var verdicts = dk.PerlVerifyBatch(deliveredDir.Path);
        var wrong = new List<string>();
        for (var i = 0; i < Count; i++)
        {
            var theirs = verdicts[$"{i:D3}.eml"];
            if (theirs.Split('\n')[0]["result=".Length..] != RandomizedInteropTests.Verdict(ours[i]))
                wrong.Add($"seed {Seed}, message {i}:\n--- delivered ---\n{File.ReadAllText(deliveredDir[$"{i:D3}.eml"])}\n--- Mail::DKIM ---\n{theirs}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Count} ({kind}):\n" + string.Join("\n\n", wrong) + "\n--- milter ---\n" + dk.Milter.Output);
        Assert.Contains(ours, v => v.Contains("domainkeys=pass", StringComparison.Ordinal));
    }
}
