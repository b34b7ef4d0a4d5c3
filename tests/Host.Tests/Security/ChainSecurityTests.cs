using System.Text.RegularExpressions;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Security;

/// <summary>
/// The chain must trust only what the MTA says about the connection (address, macros), never what a message
/// says about itself; forged Authentication-Results never survive; the private key never reaches the log.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ChainSecurityTests
{
    /// <summary>Headers a message from outside can carry to look internal or already checked.</summary>
    private const string ClaimsToBeInternal =
        "Received: from localhost (localhost [127.0.0.1])\r\n\tby mx.sec.test (Postfix) with ESMTPSA id 1; Sun, 29 Nov 2026 16:00:00 +0000\r\n" +
        "X-Originating-IP: [127.0.0.1]\r\n" +
        "X-Authenticated-User: alice@example.com\r\n" +
        "X-Milters-Internal: yes\r\n" +
        "Authentication-Results: mx.sec.test; auth=pass smtp.auth=alice\r\n" +
        "Authentication-Results: MX.SEC.TEST (trusted) ; domainkeys=pass header.from=alice@example.com\r\n" +
        "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\nMessage-ID: <1@example.com>\r\n\r\nhello\r\n";

    [Theory]
    [InlineData("203.0.113.9", "client.example.net")]
    [InlineData("203.0.113.9", "localhost")]        // a PTR record can say anything
    [InlineData("203.0.113.9", "[127.0.0.1]")]
    [InlineData("2001:db8::9", "localhost.localdomain")]
    public async Task A_message_claiming_to_be_internal_is_not_signed_and_its_forged_results_are_removed(string ip, string name)
    {
        using var host = SecureHost.Start();
        var eom = (await host.SendAsync(ClaimsToBeInternal, ip, name)).EndOfMessage!;

        Assert.DoesNotContain(eom.AddedHeaders, h => h.Name == "DomainKey-Signature");
        var deleted = eom.Modifications.Where(m => m.Code == 'm').ToList();
        Assert.Equal([2, 1], deleted.Select(d => d.Index));
        Assert.All(deleted, d => Assert.Equal("Authentication-Results", d.Name, ignoreCase: true));
        var ours = Assert.Single(eom.AddedHeaders, h => h.Name == "Authentication-Results");
        Assert.DoesNotContain("auth=pass", ours.Value);
        Assert.DoesNotContain("domainkeys=pass", ours.Value);
        Assert.Contains("origin not trusted for signing", host.Milter.Output);
    }

    [Fact]
    public async Task The_same_message_from_a_trusted_origin_is_signed()
    {
        using var host = SecureHost.Start();
        var viaLoopback = (await host.SendAsync(ClaimsToBeInternal, "127.0.0.1", "localhost")).EndOfMessage!;
        Assert.Contains(viaLoopback.AddedHeaders, h => h.Name == "DomainKey-Signature");
        var viaSubmission = (await host.SendAsync(ClaimsToBeInternal, "203.0.113.9", daemon: "MSA", authenticated: true)).EndOfMessage!;
        Assert.Contains(viaSubmission.AddedHeaders, h => h.Name == "DomainKey-Signature");
    }

    [Fact]
    public async Task The_private_key_never_appears_in_the_log_even_at_trace_level()
    {
        using var host = SecureHost.Start();
        for (int i = 0; i < 3; i++)
            await host.SendAsync(ClaimsToBeInternal, "127.0.0.1", "localhost", queueId: $"KEYLOG{i}");
        await host.SendAsync(ClaimsToBeInternal, "203.0.113.9", queueId: "KEYLOG9");
        host.Milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(60)); // a SIGHUP before this is lost
        host.Milter.Signal(MilterProcess.SIGHUP); // a reload reads the key file again
        host.Milter.WaitForOutput("configuration reloaded", TimeSpan.FromSeconds(30));
        await host.SendAsync(ClaimsToBeInternal, "127.0.0.1", "localhost", queueId: "KEYLOG10");
        host.Milter.WaitForOutput("KEYLOG10", TimeSpan.FromSeconds(30));
        Assert.Equal(0, host.Milter.Stop(TimeSpan.FromSeconds(30)));

        var log = host.Milter.Output;
        Assert.Contains("DomainKey-Signature", log); // Trace did log the signing work
        var base64 = string.Concat(host.KeyPem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))).Trim();
        // No 24-character piece of the key's base64 (in PEM line form or joined) anywhere in the log.
        var flat = Regex.Replace(log, @"\s+", "");
        for (int at = 0; at + 24 <= base64.Length; at += 12)
            Assert.DoesNotContain(base64.Substring(at, 24), flat);
        Assert.DoesNotContain("PRIVATE KEY", log);
    }
}
