using System.Net;
using Milters.SenderId.Spf;
using Milters.Testing.Peers;
using Xunit.Abstractions;

namespace Milters.SenderId.Tests.Peers;

/// <summary>
/// The same questions to our evaluator and to Perl's Mail::SPF (tests/peers/perl-spf.sh), both asking the
/// same real DNS server: the answers must agree. Mail::SPF's scopes: "mfrom" with versions 1 is plain SPF,
/// with versions 1,2 the Sender ID mfrom scope; "pra" uses spf2.0/pra records only (no v=spf1 fallback,
/// so ours runs with UseSpf1ForPra off); "helo" is the HELO identity.
/// </summary>
public sealed class MailSpfComparisonTests(PeerZone zone, ITestOutputHelper output) : IClassFixture<PeerZone>
{
    public static TheoryData<string, string, string, string, string> Cases => new()
    {
        // scope, versions, ip, identity, helo
        { "mfrom", "1", "192.0.2.7", "alice@pass.sid.example", "mail.sid.example" },
        { "mfrom", "1", "203.0.113.7", "alice@pass.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@soft.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.1", "alice@soft.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@neutral.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.50", "alice@amx.sid.example", "mail.sid.example" },
        { "mfrom", "1", "198.51.100.99", "alice@amx.sid.example", "mail.sid.example" },
        { "mfrom", "1", "198.51.101.1", "alice@amx.sid.example", "mail.sid.example" },
        { "mfrom", "1", "2001:db8::1", "alice@v6.sid.example", "mail.sid.example" },
        { "mfrom", "1", "2001:db8:1::5", "alice@v6.sid.example", "mail.sid.example" },
        { "mfrom", "1", "2001:db8:2::5", "alice@v6.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.8", "alice@inc.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.8", "alice@incnone.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.8", "alice@redir.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.5", "bob@exists.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.5", "carol@exists.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.77", "alice@ptr.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.78", "alice@ptr.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.79", "alice@ptr.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@mxvoid.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.77", "alice@pmacro.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.78", "alice@pmacro.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@multi.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@syntax.sid.example", "mail.sid.example" },
        { "mfrom", "1", "203.0.113.2", "alice@split.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@loop.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@void.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.5", "alice@limit.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@nodata.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@nxdomain.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@expl.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@broken.sid.example", "mail.sid.example" },
        { "mfrom", "1", "192.0.2.7", "alice@servfail.sid.example", "mail.sid.example" },
        { "helo", "1", "192.0.2.60", "helo.sid.example", "helo.sid.example" },
        { "helo", "1", "192.0.2.61", "helo.sid.example", "helo.sid.example" },
        // Not asked: mfrom with versions 1,2 where a domain has both spf2.0/mfrom and v=spf1 records. Mail::SPF
        // 2.009 keeps "the class of the first record in the answer" (Server.pm select_record), so its answer
        // follows BIND's rotating RRset order; RFC 4406 §4.4 step 4 (spf2.0 wins) is checked in SenderIdCaseTests.
        { "mfrom", "1,2", "192.0.2.7", "alice@v2only.sid.example", "mail.sid.example" },
        { "mfrom", "1,2", "198.51.100.7", "alice@v2only.sid.example", "mail.sid.example" },
        { "mfrom", "1,2", "192.0.2.7", "alice@pass.sid.example", "mail.sid.example" },
        { "pra", "2", "192.0.2.7", "alice@pra.sid.example", "mail.sid.example" },
        { "pra", "2", "203.0.113.7", "alice@pra.sid.example", "mail.sid.example" },
        { "pra", "2", "198.51.100.7", "alice@both.sid.example", "mail.sid.example" },
        { "pra", "2", "192.0.2.7", "alice@pass.sid.example", "mail.sid.example" },
        { "pra", "2", "192.0.2.7", "alice@v2only.sid.example", "mail.sid.example" },
        // Not asked: pra for a nonexistent domain. RFC 4406 §4.3 says Fail; Mail::SPF 2.009 answers none
        // (checked against the RFC in SenderIdCaseTests, rfc4406-4.3-pra-nxdomain).
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task SameResultAsMailSpf(string scope, string versions, string ip, string identity, string helo)
    {
        var perl = PeerScripts.Run("perl-spf.sh",
            ["--scope", scope, "--versions", versions, "--ip", ip, "--identity", identity, "--helo", helo,
             "--dns-port", zone.Server.Port.ToString(), "--timeout", "3"], TimeSpan.FromMinutes(3));
        Assert.True(perl.Succeeded, perl.ToString());
        var theirs = perl.Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("result=", StringComparison.Ordinal))["result=".Length..];

        var ourScope = scope == "pra" ? SpfScope.Pra : versions == "1" ? SpfScope.Spf : SpfScope.Mfrom;
        var evaluator = zone.Evaluator(new SpfEvaluatorOptions { UseSpf1ForPra = false });
        var outcome = await evaluator.CheckHostAsync(new SpfRequest(IPAddress.Parse(ip), identity, helo, ourScope));
        output.WriteLine($"Mail::SPF {theirs}; ours {outcome}");
        Assert.Equal(theirs, outcome.Result.ToToken());
    }
}
