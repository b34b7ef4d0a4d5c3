using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Milters.Integration.Tests.Faults;

/// <summary>
/// What BIND cannot be made to send: answers that are not DNS at all. A small loopback responder answers every
/// UDP query with bytes that are broken in a different way each time (too short, wrong id, a header that
/// promises records that are not there, random bytes); TCP is refused. SPF must end in temperror — a 451 for
/// the MTA — and the host must go on.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MalformedDnsTests
{
    private static byte[] Broken(byte[] query, int n)
    {
        var id = query.Length >= 2 ? query[..2] : [0, 0];
        return (n % 4) switch
        {
            0 => [id[0]],                                                   // shorter than a header
            1 => [(byte)(id[0] ^ 0xff), id[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0], // someone else's id
            2 => [id[0], id[1], 0x81, 0x80, 0, 1, 0, 9, 0, 0, 0, 0, 3, (byte)'f', (byte)'o'], // 9 answers promised, name cut off
            _ => [id[0], id[1], .. Enumerable.Range(0, 300).Select(i => (byte)(i * 37 + n))], // noise after a valid id
        };
    }

    /// <summary>
    /// Rotating the damage let a retry meet a readable answer; a server that sends the same damage every time (kinds
    /// 0–3) reached DnsClient exceptions the resolver did not map (wrong id, unparseable packet), and the SenderId
    /// plugin failed instead of answering temperror (found by an independent review).
    /// </summary>
    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Answers_that_are_not_dns_end_in_temperror_and_the_host_goes_on(int kind)
    {
        // On a loopback address of its own: a port the kernel hands out here may be one a DNS fixture of a parallel test
        // has just released on 127.0.0.1 and binds again, and its queries would then meet this junk (seen once in CI).
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.9"), 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        using var stop = new CancellationTokenSource();
        var answered = 0;
        var responder = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                UdpReceiveResult query;
                try { query = await udp.ReceiveAsync(stop.Token); }
                catch (OperationCanceledException) { return; }
                var n = Interlocked.Increment(ref answered);
                await udp.SendAsync(Broken(query.Buffer, kind < 0 ? n : kind), query.RemoteEndPoint);
            }
        });

        using var chain = ChainMilter.Start(config: json => json["Dns"]!["Servers"] = new JsonArray($"127.0.0.9:{port}"));
        for (int i = 0; i < 3; i++)
        {
            var r = await chain.SendAsync($"JUNK{i}", "<a@ok.fault.test>", ChainMilter.Message("a@ok.fault.test"));
            Assert.True(r.Verdict.IsTempFail, $"{r.Verdict}\n{chain.Milter.Output}");
            Assert.StartsWith("451 4.7.0", r.Verdict.Text);
        }
        Assert.True(answered > 0);
        Assert.DoesNotContain("internal error", chain.Milter.Output);
        Assert.DoesNotContain("fail:", chain.Milter.Output);
        Assert.False(chain.Milter.HasExited);

        stop.Cancel();
        await responder;
    }
}
