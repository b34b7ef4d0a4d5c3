using System.Net;
using Milters.SenderId.Spf;
using Milters.Testing.Peers;
using Milters.Testing.Spf;
using Xunit.Abstractions;
using Milters.Testing;

namespace Milters.SenderId.Tests.Peers;

/// <summary>
/// Generated policies (fixed seed; MILTERS_RANDOM_SEED=N for another sequence) asked of both our evaluator and
/// Mail::SPF over the same real DNS server.
/// </summary>
public sealed class RandomPolicyComparisonTests(ITestOutputHelper output)
{
    private static readonly int Seed = RandomSeed.Or(7208);
    private const int Count = 40;

    [Fact]
    public async Task SameResultsAsMailSpf()
    {
        var policies = RandomPolicies.Generate(Count, Seed);
        using var dns = RandomPolicies.StartDns(policies);
        // Mail::SPF never applies v=spf1 to the pra scope, so ours is asked the same way here.
        var evaluator = new SpfEvaluator(new Milters.Host.Dns.DnsClientResolver(
            new Milters.Host.Dns.DnsOptions([IPEndPoint.Parse(dns.Endpoint)], TimeSpan.FromSeconds(2), 1, false)),
            new SpfEvaluatorOptions { UseSpf1ForPra = false });
        var random = new Random(Seed);
        var disagreements = new List<string>();
        var asked = 0;
        foreach (var p in policies)
        {
            var ip = RandomPolicies.Clients[random.Next(RandomPolicies.Clients.Length)];
            var identity = RandomPolicies.LocalPart(random) + "@" + p.Domain;
            var scopes = p.Spf2CoversPra ? new[] { "mfrom", "pra" } : new[] { "mfrom" };
            foreach (var scope in scopes)
            {
                asked++;
                var versions = RandomPolicies.MailSpfVersions(p, scope);
                var (theirs, ours) = await AskBothAsync(evaluator, dns, scope, versions, ip, identity);
                // A temperror is a DNS answer that came too late on a busy machine (both sides time out after
                // seconds), not a reading of the RFC: such a question is asked once more before it counts.
                if (theirs != ours.Result.ToToken() && (theirs == "temperror" || ours.Result == SpfResult.TempError))
                {
                    output.WriteLine($"asked again after a temperror: {scope} {ip} Mail::SPF {theirs}, ours {ours}");
                    (theirs, ours) = await AskBothAsync(evaluator, dns, scope, versions, ip, identity);
                }
                var line = $"{scope} {ip} {identity} \"{(scope == "pra" || p.Spf2CoversMfrom ? p.Spf2Record : p.Record)}\": Mail::SPF {theirs} ({Why}), ours {ours}";
                output.WriteLine(line);
                if (theirs != ours.Result.ToToken()) disagreements.Add(line);
            }
        }
        output.WriteLine($"{asked - disagreements.Count}/{asked} agree");
        Assert.True(disagreements.Count == 0, $"seed {Seed}: {disagreements.Count} of {asked} disagree:\n" + string.Join("\n", disagreements));
    }

    /// <summary>Mail::SPF's own words for its last answer (its "text=" line), for the failure message.</summary>
    [ThreadStatic] private static string? Why;

    private static async Task<(string Theirs, SpfOutcome Ours)> AskBothAsync(SpfEvaluator evaluator, DnsServer dns, string scope, string versions, string ip, string identity)
    {
        var perl = PeerScripts.Run("perl-spf.sh",
            ["--scope", scope, "--versions", versions, "--ip", ip, "--identity", identity, "--helo", "helo.example",
             "--dns-port", dns.Port.ToString(), "--timeout", "3"], TimeSpan.FromMinutes(2));
        Assert.True(perl.Succeeded, perl.ToString());
        var lines = perl.Output.Split('\n').Select(l => l.Trim()).ToList();
        var theirs = lines.First(l => l.StartsWith("result=", StringComparison.Ordinal))["result=".Length..];
        Why = lines.FirstOrDefault(l => l.StartsWith("text=", StringComparison.Ordinal)) ?? "";
        var ours = await evaluator.CheckHostAsync(new SpfRequest(IPAddress.Parse(ip), identity, "helo.example", scope == "pra" ? SpfScope.Pra : SpfScope.Mfrom));
        return (theirs, ours);
    }
}
