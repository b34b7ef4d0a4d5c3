using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Mta;

/// <summary>
/// docs/MIGRATING.md, way 1: `milters dk-filter …` and `milters sid-filter …` as two processes behind one Postfix
/// (smtpd_milters lists both), each writing its own Authentication-Results field under the same authserv-id. Postfix
/// shows the second filter the field the first one added; before AuthResults:SiblingMethods the second deleted it
/// as a forgery, so mail from outside lost its DomainKeys verdict. Forgeries from outside still go, each removed by
/// the process whose method it claims. swaks connects from 127.0.0.1, so InternalHosts is set elsewhere.
/// </summary>
[Collection(MtaCollection.Name)]
public sealed class TwoProcessMigrationTests
{
    private const string AuthservId = "mx.two-process.test";

    private static MilterProcess Start(string command, DnsServer dns, params string[] legacyArgs)
    {
        var socket = MilterSocket.FreeInet();
        var options = new MilterProcessOptions { Command = command, Socket = socket };
        options.Args.AddRange(["--nameserver", dns.Endpoint, "-p", socket.Spec, .. legacyArgs,
            $"--AuthResults:AuthservId={AuthservId}", "--AuthResults:InternalHosts:0=192.0.2.255/32"]);
        return MilterProcess.Start(options);
    }

    [Fact]
    public void Each_process_keeps_the_others_verdict_and_removes_forgeries_of_its_own()
    {
        using var dns = DnsServer.StartWithZone("example.org. IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n");
        using var dk = Start("dk-filter", dns, "-b", "v");
        using var sid = Start("sid-filter", dns);
        var postfix = new PostfixOptions { Milter = dk.Socket };
        postfix.Set.Add($"smtpd_milters = {dk.Socket.PostfixSpec} {sid.Socket.PostfixSpec}");
        using var mta = PostfixInstance.Start(postfix);

        var subject = $"two processes {Guid.NewGuid():N}";
        var sent = mta.Send(new SwaksMessage
        {
            From = "alice@example.org",
            Subject = subject,
            Headers =
            {
                "From: Alice <alice@example.org>",
                $"Authentication-Results: {AuthservId}; domainkeys=pass header.from=forged-dk@example.org",
                $"Authentication-Results: {AuthservId}; sender-id=pass header.from=forged-sid@example.org",
                "Authentication-Results: other.example.net; spf=pass smtp.mailfrom=foreign@example.net",
            },
            Body = "two filters, two fields\n",
        });
        var why = $"{sent}\n{mta.Describe()}\n--- dk-filter ---\n{dk.Output}\n--- sid-filter ---\n{sid.Output}";
        Assert.True(sent.Accepted, why);

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, TimeSpan.FromSeconds(60), subject);
        var fields = delivered.HeaderValues("Authentication-Results");
        why = $"{delivered.Raw}\n{why}";
        Assert.DoesNotContain(fields, v => v.Contains("forged-"));
        Assert.Single(fields, v => v.Contains("foreign@example.net"));
        var ours = fields.Where(v => v.StartsWith(AuthservId + ";", StringComparison.Ordinal)).ToList();
        Assert.True(ours.Count == 2, why);
        Assert.Single(ours, v => v.Contains("domainkeys=") && !v.Contains("sender-id="));
        Assert.Single(ours, v => v.Contains("sender-id=pass header.from=alice@example.org") && !v.Contains("domainkeys="));
    }
}
