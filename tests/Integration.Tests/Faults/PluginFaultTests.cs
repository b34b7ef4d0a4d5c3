using System.Text.Json.Nodes;

namespace Milters.Integration.Tests.Faults;

/// <summary>
/// A plugin that throws at end of message (the test plugin HeaderStamp, Throw=true) and one that overruns its
/// deadline (SenderId waiting on a DNS server that never answers, SenderId:Timeout shorter than the DNS bound),
/// in the whole chain of the built host: the plugin's OnError decides the answer, the message is never lost
/// (tempfailed, rejected or delivered as configured), and other messages go on unaffected.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PluginFaultTests
{
    private static ChainMilter StartWithThrowingStamp(string onError) => ChainMilter.Start(config: json =>
    {
        json["Plugins"]!["Order"] = new JsonArray("DomainKeys", "SenderId", "HeaderStamp", "AuthResults");
        json["HeaderStamp"] = new JsonObject { ["Throw"] = true, ["OnError"] = onError };
    }, testPlugins: "HeaderStamp");

    [Theory]
    [InlineData("TempFail")]
    [InlineData("Reject")]
    [InlineData("Accept")]
    [InlineData("Continue")]
    public async Task A_throwing_plugin_gets_its_on_error_action_for_every_message_and_the_host_goes_on(string onError)
    {
        using var chain = StartWithThrowingStamp(onError);
        await using var client = await chain.ReadyAsync("THROW1", submission: true);
        for (int n = 1; n <= 2; n++)
        {
            var r = await client.SendMessageAsync("<alice@example.com>", ["<bob@example.org>"], ChainMilter.Message("alice@example.com", $"throw {n}"));
            var verdict = r.Verdict;
            switch (onError)
            {
                case "TempFail":
                    Assert.True(verdict.IsTempFail, $"{verdict}\n{chain.Milter.Output}");
                    break;
                case "Reject":
                    Assert.True(verdict.IsReject, $"{verdict}\n{chain.Milter.Output}");
                    break;
                case "Accept":
                    Assert.True(verdict.IsAccept, $"{verdict}\n{chain.Milter.Output}");
                    // Plugins before the failing one did their work: the message is signed.
                    Assert.Contains(r.EndOfMessage!.AddedHeaders, h => h.Name == "DomainKey-Signature");
                    break;
                default:
                    Assert.True(verdict.IsContinue, $"{verdict}\n{chain.Milter.Output}");
                    Assert.Contains(r.EndOfMessage!.AddedHeaders, h => h.Name == "DomainKey-Signature");
                    chain.AuthResults(r); // plugins after it still ran
                    Assert.DoesNotContain(r.EndOfMessage!.AddedHeaders, h => h.Name == "X-Milters-Stamp");
                    break;
            }
            await client.AbortAsync();
        }
        await client.QuitAsync();

        var failures = chain.WaitForLines(2, TimeSpan.FromSeconds(30), "plugin HeaderStamp failed at EndOfMessage");
        Assert.True(failures.Count == 2, chain.Milter.Output);
        Assert.All(failures, l => Assert.Contains($"on-error action {onError}", l));
        Assert.Contains("HeaderStamp was told to throw", failures[0]);
        Assert.False(chain.Milter.HasExited);
    }

    [Theory]
    [InlineData("TempFail")]
    [InlineData("Continue")]
    public async Task A_plugin_past_its_deadline_gets_its_on_error_action_while_other_messages_pass(string onError)
    {
        // DNS: 3 s timeout, 1 retry — far beyond SenderId's deadline of 1 s for one callback.
        using var chain = ChainMilter.Start(dns => dns.Timeout.Add("slow.fault.test"), json =>
        {
            json["Dns"]!["Timeout"] = "00:00:03";
            json["SenderId"] = new JsonObject { ["Timeout"] = "00:00:01", ["OnError"] = onError };
        });

        var hung = chain.SendAsync("HANG1", "<a@slow.fault.test>", ChainMilter.Message("a@slow.fault.test"));
        // Meanwhile, on another connection, a sender whose DNS answers is checked as usual.
        var ok = await chain.SendAsync("NOHANG1", "<a@ok.fault.test>", ChainMilter.Message("a@ok.fault.test"));
        chain.AssertHas(chain.AuthResults(ok), "spf=pass smtp.mailfrom=ok.fault.test");

        var r = await hung;
        if (onError == "TempFail")
        {
            Assert.True(r.Verdict.IsTempFail, $"{r.Verdict}\n{chain.Milter.Output}");
        }
        else
        {
            Assert.True(r.Verdict.IsContinue, $"{r.Verdict}\n{chain.Milter.Output}");
            // Delivered without any SenderId verdict (a late one from the overrunning call must not land either),
            // with the rest of the chain's.
            var ar = chain.AuthResults(r);
            Assert.DoesNotContain("spf=", ar);
            Assert.DoesNotContain("sender-id=", ar);
            Assert.Contains("domainkeys=", ar);
        }
        chain.WaitForLines(1, TimeSpan.FromSeconds(30), "plugin SenderId failed at", "HANG1", "deadline of 1 s", $"on-error action {onError}");
    }
}
