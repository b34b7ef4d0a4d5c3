using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;
using Milters.Testing.Spf;
using Milters.Testing;

namespace Milters.Integration.Tests.SenderId;

/// <summary>
/// The random policies of <see cref="RandomPolicies"/> behind the whole host (SenderId + AuthResults) through the
/// real milter protocol: the spf= result for the envelope sender and the sender-id= result for the PRA (From)
/// in our Authentication-Results are the results Mail::SPF gives for the same client, identity and HELO —
/// the plumbing (identities, macros, result words in the header) checked against an independent
/// implementation, not only the evaluator. MILTERS_RANDOM_SEED=N for another sequence.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RandomizedSpfThroughMilterTests
{
    private const int Count = 40;
    private static readonly int Seed = RandomSeed.Or(4406);
    private const string Helo = "helo.example";

    [Fact]
    public async Task Spf_and_sender_id_results_are_those_of_mail_spf()
    {
        var policies = RandomPolicies.Generate(Count, Seed);
        using var dns = RandomPolicies.StartDns(policies);
        // Mail::SPF never applies v=spf1 to the pra scope; ours is told the same so both answer one question.
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["UseSpf1ForPra"] = false });
        using var dir = new TempDir("sid-random");

        var random = new Random(Seed);
        // One in five from the null reverse-path, HELO naming the policy's domain: then the envelope check is
        // of postmaster@HELO (RFC 7208 §2.4).
        var asked = policies.Select(p => (Policy: p, Ip: RandomPolicies.Clients[random.Next(RandomPolicies.Clients.Length)],
            Identity: $"{RandomPolicies.LocalPart(random)}@{p.Domain}", NullSender: random.Next(5) == 0)).ToList();
        // A domain whose only spf2.0 record is for mfrom has no record for the pra scope (RFC 4406 §3.4; v=spf1 is
        // turned off for it above): none. Mail::SPF is not asked there: it parses that record anyway and turns a
        // syntax error in it into permerror.
        static bool AskPra(RandomPolicies.Policy p) => p.Spf2Record is null || p.Spf2CoversPra;
        var questions = dir["questions.txt"];
        File.WriteAllLines(questions, asked.SelectMany(a => new[]
        {
            a.NullSender ? $"mfrom {a.Ip} - {a.Policy.Domain} {RandomPolicies.MailSpfVersions(a.Policy, "mfrom")}"
                         : $"mfrom {a.Ip} {a.Identity} {Helo} {RandomPolicies.MailSpfVersions(a.Policy, "mfrom")}",
            AskPra(a.Policy) ? $"pra {a.Ip} {a.Identity} {(a.NullSender ? a.Policy.Domain : Helo)} 2" : null,
        }).OfType<string>());
        var perl = PeerScripts.Run("perl-spf.sh", ["--batch", questions, "--dns-port", dns.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "3"],
            TimeSpan.FromMinutes(5));
        Assert.True(perl.Succeeded, perl.ToString());
        var answers = new Queue<string>(perl.StandardOutput.Split('\n').Where(l => l.StartsWith("result=", StringComparison.Ordinal)).Select(l => l["result=".Length..].Trim()));
        var theirs = asked.Select(a => (Mfrom: answers.Dequeue(), Pra: AskPra(a.Policy) ? answers.Dequeue() : "none")).ToList();
        Assert.Empty(answers);

        var wrong = new List<string>();
        for (var i = 0; i < asked.Count; i++)
        {
            var (policy, ip, identity, nullSender) = asked[i];
            var ar = await SendAsync(milter, ip, identity, nullSender ? policy.Domain : Helo, nullSender ? "" : identity,
                i % 2 == 0 ? MtaOffer.Postfix : MtaOffer.Sendmail);
            var spf = ResultOf(ar, "spf");
            var senderId = ResultOf(ar, "sender-id");
            if (spf != theirs[i].Mfrom || senderId != theirs[i].Pra)
                wrong.Add($"{ip} {(nullSender ? $"<> HELO {policy.Domain}" : identity)}: v=spf1 \"{policy.Record}\", spf2.0 \"{policy.Spf2Record}\"\n" +
                          $"Mail::SPF mfrom={theirs[i].Mfrom} pra={theirs[i].Pra}; ours:{ar}");
        }
        Assert.True(wrong.Count == 0, $"seed {Seed}: {wrong.Count} of {asked.Count} differ:\n" + string.Join("\n", wrong) + "\n" + milter.Output);
        var seen = theirs.SelectMany(t => new[] { t.Mfrom, t.Pra }).Distinct().ToList();
        Assert.True(seen.Count >= 4, "the policies should give several results: " + string.Join(", ", seen));
    }

    private static async Task<string> SendAsync(MilterProcess milter, string ip, string identity, string helo, string mailFrom, MtaOffer offer)
    {
        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value));
        await client.NegotiateAsync(offer);
        await client.ConnectAsync("client.example", IPAddress.Parse(ip));
        await client.HeloAsync(helo);
        var message = Encoding.ASCII.GetBytes($"From: Someone <{identity}>\r\nTo: bob@example.org\r\nSubject: spf\r\n\r\nhello\r\n");
        var result = await client.SendMessageAsync(mailFrom, ["bob@example.org"], message);
        await client.QuitAsync();
        Assert.True(result.EndOfMessage is not null, $"{ip} {identity}: no end of message: {result.Verdict}\n{milter.Output}");
        var headers = result.EndOfMessage!.AddedHeaders.Where(h => h.Name == "Authentication-Results").ToList();
        Assert.True(headers.Count == 1, $"{ip} {identity}: {headers.Count} Authentication-Results\n{milter.Output}");
        return headers[0].Value!;
    }

    /// <summary>The result word of method <paramref name="method"/> in an Authentication-Results value ("none" when absent).</summary>
    private static string ResultOf(string authenticationResults, string method)
    {
        foreach (var part in authenticationResults.Split(';'))
        {
            var text = part.Trim();
            if (text.StartsWith(method + "=", StringComparison.Ordinal))
                return new string(text[(method.Length + 1)..].TakeWhile(char.IsAsciiLetter).ToArray());
        }
        return "none";
    }
}
