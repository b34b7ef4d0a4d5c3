namespace Milters.Integration.Tests.Faults;

/// <summary>
/// The signing key file disappears while the host runs. Keys are read at start and at reload: running mail is
/// signed with the key in memory, and a reload (SIGHUP) that cannot read the key is refused with one clear line,
/// keeping the running key table — signing goes on. A start without the file is a start-up error naming it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeyFileFaultTests
{
    [Fact]
    public async Task A_vanished_key_file_keeps_signing_and_a_reload_is_refused_keeping_the_old_table()
    {
        using var chain = ChainMilter.Start();
        var first = await chain.SendAsync("KEY1", "<alice@example.com>", ChainMilter.Message("alice@example.com"), submission: true);
        Assert.Contains(first.EndOfMessage!.AddedHeaders, h => h.Name == "DomainKey-Signature");

        File.Delete(chain.KeyFile);
        var second = await chain.SendAsync("KEY2", "<alice@example.com>", ChainMilter.Message("alice@example.com"), submission: true);
        Assert.Contains(second.EndOfMessage!.AddedHeaders, h => h.Name == "DomainKey-Signature");

        // SIGHUP is taken up once the host says it is ready; one sent earlier would be lost.
        chain.Milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(60));
        chain.Milter.Signal(Milters.Testing.Peers.MilterProcess.SIGHUP);
        chain.Milter.WaitForOutput("reload refused", TimeSpan.FromSeconds(30));
        var refused = chain.Milter.Output.Split('\n').Single(l => l.Contains("reload refused", StringComparison.Ordinal));
        Assert.Contains("keeping the running configuration", refused);
        Assert.Contains($"key file {chain.KeyFile} not found", refused);

        var third = await chain.SendAsync("KEY3", "<alice@example.com>", ChainMilter.Message("alice@example.com"), submission: true);
        Assert.True(third.Verdict.IsContinue || third.Verdict.IsAccept, $"{third.Verdict}\n{chain.Milter.Output}");
        Assert.Contains(third.EndOfMessage!.AddedHeaders, h => h.Name == "DomainKey-Signature" && h.Value!.Contains($"s={ChainMilter.Selector}"));
        Assert.False(chain.Milter.HasExited);
    }
}
