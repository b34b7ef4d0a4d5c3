using System.Text;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// The migration story end to end, as an administrator coming from dk-filter lives it: a key and its TXT record from
/// the key-generation command (`milters genkey`), the record pasted into the domain's zone (served by BIND), the
/// rc.local line unchanged but for the program name (`milters dk-filter -l -p inet:PORT@localhost -d example.com
/// -s KEY -S SELECTOR`, no configuration of its own), the MTA's milter line (Sendmail's INPUT_MAIL_FILTER, Postfix's
/// smtpd_milters), and a message sent to check: delivered signed, and Mail::DKIM verifies it from the published record.
/// </summary>
[Collection(MtaCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DkFilterDropInTests
{
    private const string Selector = "sel2026";

    [Theory]
    [InlineData(MtaKind.Sendmail)]
    [InlineData(MtaKind.Postfix)]
    public void The_rc_local_line_signs_through_the_mta_and_mail_dkim_verifies_it(MtaKind kind)
    {
        using var dir = new TempDir("dk-dropin");
        var (file, prefix) = MilterProcess.HostCommand();
        var genkey = ProcessRunner.Run(file, [.. prefix, "genkey", "--domain", "example.com", "--selector", Selector, "--bits", "1024", "--out", dir["keys"]]);
        Assert.True(genkey.ExitCode == 0, genkey.ToString());
        var keyFile = dir[$"keys/{Selector}.key.pem"];
        // The record file is written for the domain's own zone file: relative name, so under $ORIGIN example.com.
        using var dns = DnsServer.StartWithZone("$ORIGIN example.com.\n" + File.ReadAllText(dir[$"keys/{Selector}.txt"]));

        // As rc.local runs it: no '&', no -f — the command goes into the background as dk-filter did and returns once
        // the daemon serves (its pid in the -P file, which an rc script would use to stop it).
        var socket = MilterSocket.FreeInet();
        var pidFile = dir["dk-filter.pid"];
        var started = ProcessRunner.Run(file, [.. prefix, "dk-filter", "--nameserver", dns.Endpoint, "-l", "-p", $"inet:{socket.Port}@localhost",
            "-d", "example.com", "-s", keyFile, "-S", Selector, "-P", pidFile], TimeSpan.FromMinutes(1));
        Assert.True(started.Succeeded, started.ToString());
        using var daemon = new DaemonByPidFile(pidFile);
        using var mta = MtaInstance.Start(kind, socket);

        // swaks on 127.0.0.1: one of dk-filter's default internal hosts, so its mail is signed.
        var subject = $"rc.local {Guid.NewGuid():N}";
        var sent = mta.Send(new SwaksMessage { From = "alice@example.com", Subject = subject, Headers = { "From: Alice <alice@example.com>" }, Body = "signed by the old habits\n" });
        Assert.True(sent.Accepted, $"{sent}\n{mta.Describe()}\n--- milter start ---\n{started.Output}");

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, TimeSpan.FromSeconds(60), subject);
        var signature = Assert.Single(delivered.HeaderValues("DomainKey-Signature"));
        Assert.Contains($"d=example.com; s={Selector};", signature.Replace("\r", "").Replace("\n", "").Replace("\t", " "));

        var eml = dir["delivered.eml"];
        File.WriteAllBytes(eml, Encoding.UTF8.GetBytes(delivered.Raw));
        var perl = ProcessRunner.Run("bash", ["-c", $"bash '{PeerScripts.Path("perl-dk.sh")}' verify --dns-port {dns.Port} < '{eml}'"], TimeSpan.FromMinutes(2));
        Assert.True(perl.ExitCode == 0 && perl.StandardOutput.Contains("result=pass"), perl.Output + "\n" + delivered.Raw);
    }
}

/// <summary>The daemon an rc script started, stopped with SIGTERM through its pid file when the test ends.</summary>
internal sealed class DaemonByPidFile(string pidFile) : IDisposable
{
    private readonly int pid = int.Parse(File.ReadAllText(pidFile).Trim());

    public void Dispose()
    {
        ProcessRunner.Run("kill", [pid.ToString()]);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.Exists($"/proc/{pid}") && DateTime.UtcNow < deadline) Thread.Sleep(50);
    }
}
