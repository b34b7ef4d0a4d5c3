using System.Net;
using Milters.SenderId.Spf;

namespace Milters.SenderId.Tests.Peers;

/// <summary>DNS faults from the real DNS server end in temperror through the host's resolver; nothing hangs.</summary>
public sealed class DnsFaultTests(PeerZone zone) : IClassFixture<PeerZone>
{
    private static readonly TimeSpan Watchdog = TimeSpan.FromMinutes(1); // a hang detector, not a timing assertion

    [Theory]
    [InlineData("alice@servfail.sid.example")]     // the record lookup answers SERVFAIL
    [InlineData("alice@broken.sid.example")]       // an include answers SERVFAIL
    [InlineData("alice@x.slow.sid.example")]       // the record lookup is dropped: the resolver times out
    [InlineData("alice@slowinc.sid.example")]      // an include is dropped
    public async Task FaultIsTempError(string identity)
    {
        var evaluator = zone.Evaluator(timeout: TimeSpan.FromMilliseconds(500));
        var check = evaluator.CheckHostAsync(new SpfRequest(IPAddress.Parse("192.0.2.7"), identity, "mail.sid.example"));
        var outcome = await check.WaitAsync(Watchdog);
        Assert.Equal(SpfResult.TempError, outcome.Result);
    }

    [Fact]
    public async Task PluginDeadlineEndsALookupThatNeverAnswers()
    {
        // A resolver timeout far beyond the plugin's own deadline: the deadline decides.
        var checks = new SenderIdChecks(zone.Evaluator(timeout: TimeSpan.FromMinutes(5)),
            new SenderIdOptions { EvaluationTimeout = TimeSpan.FromSeconds(1) });
        var outcome = await checks.RunAsync(new SpfRequest(IPAddress.Parse("192.0.2.7"), "alice@x.slow.sid.example", "mail.sid.example"), CancellationToken.None)
            .WaitAsync(Watchdog);
        Assert.Equal(SpfResult.TempError, outcome.Result);
    }
}
