using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.SenderId;

/// <summary>
/// Real Postfix and Sendmail in front of the built host (SenderId + AuthResults), DNS from a real server. The SMTP
/// client is swaks on 127.0.0.1, which ok.sid.test authorizes and deny.sid.test does not.
/// </summary>
[Collection(MtaCollection.Name)]
public sealed class SenderIdThroughMtaTests : IDisposable
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);
    private readonly DnsServer dns = SenderIdMilter.StartDns();

    public void Dispose() => dns.Dispose();

    private static string Why(SwaksResult sent, MtaInstance mta, MilterProcess milter) =>
        $"{sent}\n{mta.Describe()}\n--- milter output ---\n{milter.Output}";

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void AuthorizedClientIsDeliveredWithSenderIdAndSpfPass(MtaKind kind)
    {
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["RejectMode"] = 2 });
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"sid pass {Guid.NewGuid():N}";

        var sent = mta.Send(new SwaksMessage
        {
            From = "alice@ok.sid.test",
            Helo = "client.sid.test",
            Subject = subject,
            Headers = { "From: Alice <alice@ok.sid.test>" },
            Body = "hello",
        });

        Assert.True(sent.Accepted, Why(sent, mta, milter));
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var ar = Assert.Single(delivered.HeaderValues("Authentication-Results"));
        Assert.Contains("sender-id=pass header.from=alice@ok.sid.test", ar);
        Assert.Contains("spf=pass smtp.mailfrom=ok.sid.test", ar);
    }

    /// <summary>
    /// Postfix's cleanup — non_smtpd_milters: sendmail(1), pickup, its own bounces — sends the null sender as an
    /// empty address, not "&lt;&gt;". The host closed the connection on it and Postfix kept the message in its queue,
    /// retrying (a vacation reply, a script's "-f ''"); SenderId needs the MAIL step, so the chain asks for it.
    /// </summary>
    [Fact]
    public void Local_mail_with_the_null_sender_is_delivered_through_postfix()
    {
        using var milter = SenderIdMilter.Start(dns);
        using var mta = PostfixInstance.Start(milter.Socket);
        var subject = $"sid null sender {Guid.NewGuid():N}";

        var submitted = mta.SubmitLocally("<>", $"From: Alice <alice@ok.sid.test>\nTo: bob@example.org\nSubject: {subject}\n\nan automatic reply\n");
        Assert.True(submitted.ExitCode == 0, submitted.Output + "\n" + mta.Describe());

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        Assert.Equal("<>", delivered.Header("Return-Path"));
        Assert.Single(delivered.HeaderValues("Authentication-Results"));
        Assert.DoesNotContain("protocol error", milter.Output);
    }

    /// <summary>
    /// "From :" — white space before the colon, RFC 5322's obsolete form, which both MTAs accept — is the From
    /// field for the PRA, and the result names it header.from. Both MTAs hand the field to the milter named "From"
    /// (this passes without the fix too); a milter client that passes "From " was where the fuzzer found the
    /// property named as spelled ("header.from ") and the sender-id result dropped (PraExtractorTests).
    /// </summary>
    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void From_with_white_space_before_the_colon_is_the_pra(MtaKind kind)
    {
        using var milter = SenderIdMilter.Start(dns);
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"sid obsolete from {Guid.NewGuid():N}";

        // The whole message as DATA: swaks would add a From of its own beside "From :". Not the first line: Sendmail
        // takes a first line starting "From " for a UNIX mailbox separator and drops it.
        var sent = mta.Send(new SwaksMessage
        {
            From = "alice@ok.sid.test",
            Helo = "client.sid.test",
            Data = "To: bob@example.org\r\nFrom : Alice <alice@ok.sid.test>\r\nSubject: " + subject + "\r\n" +
                   "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + Guid.NewGuid().ToString("N") + "@ok.sid.test>\r\n\r\nhello\r\n",
        });

        Assert.True(sent.Accepted, Why(sent, mta, milter));
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var ar = Assert.Single(delivered.HeaderValues("Authentication-Results"));
        Assert.True(ar.Contains("sender-id=pass header.from=alice@ok.sid.test"), $"{delivered}\n--- milter output ---\n{milter.Output}");
        Assert.DoesNotContain(" fail: ", milter.Output); // no Error line (AuthResults refusing a property)
    }

    /// <summary>
    /// A bare CR inside the HELO argument: with Received-SPF on, the HELO name is quoted into that header, which must
    /// stay one header (a CR from a milter client made the host refuse the edit and the message was temp-failed).
    /// Through the real MTAs it never gets that far — Postfix hands the milter a space in its place, Sendmail refuses
    /// the EHLO (501 Invalid domain name) — and the message is delivered with one Received-SPF. The client is a raw
    /// socket: smtplib refuses the CR.
    /// </summary>
    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void A_bare_CR_in_HELO_does_not_break_Received_SPF(MtaKind kind)
    {
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["AddReceivedSpf"] = true });
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"sid bare cr {Guid.NewGuid():N}";
        const string Client = """
            import socket, sys
            port, subject = int(sys.argv[1]), sys.argv[2]
            s = socket.create_connection(("127.0.0.1", port), timeout=60)
            f = s.makefile("rb")
            def reply():
                while True:
                    line = f.readline().decode()
                    sys.stdout.write(line)
                    if len(line) < 4 or line[3] != "-":
                        return line
            def cmd(text):
                s.sendall(text.encode() + b"\r\n")
                return reply()
            reply()
            cmd("EHLO client\r.sid.test")
            cmd("MAIL FROM:<alice@ok.sid.test>")
            cmd("RCPT TO:<bob@example.org>")
            cmd("DATA")
            last = cmd("To: bob@example.org\r\nFrom: alice@ok.sid.test\r\nSubject: " + subject + "\r\n\r\nhello\r\n.")
            cmd("QUIT")
            sys.exit(0 if last.startswith("250") else 1)
            """;
        var sent = ProcessRunner.Run("python3", ["-c", Client, mta.Port.ToString(), subject], TimeSpan.FromMinutes(2));
        Assert.True(sent.Succeeded, $"{sent}\n{mta.Describe()}\n--- milter output ---\n{milter.Output}");

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var spf = Assert.Single(delivered.HeaderValues("Received-SPF"));
        // Postfix passes a space in the CR's place; Sendmail refuses such an EHLO (501) and the session goes on without one.
        var helo = kind == MtaKind.Postfix ? "helo=\"client .sid.test\";" : "helo=\"\";";
        Assert.True(spf.Contains(helo), $"{spf}\n{sent.Output}");
        Assert.DoesNotContain(" fail: ", milter.Output);
    }

    /// <summary>
    /// An SMTP client on IPv6 (::1) through real Postfix and Sendmail: the MTA hands the milter an SMFIA_INET6
    /// connection (Sendmail writes the address as "IPv6:::1"), and the checks use that address — v6.sid.test
    /// (ip6:::1) passes, ok.sid.test (127.0.0.1 and 2001:db8::/32 only) fails. Python's smtplib is the client (it
    /// connects to ::1 without extra Perl modules).
    /// </summary>
    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void Ipv6_client_through_the_mta_is_checked_by_its_IPv6_address(MtaKind kind)
    {
        using var milter = SenderIdMilter.Start(dns);
        // Postfix listens on [::1] at its own ports; Sendmail gets one more listener, as an administrator's .mc would add it.
        var sendmailV6Port = FreePort.Tcp6();
        using MtaInstance mta = kind == MtaKind.Postfix
            ? PostfixInstance.Start(new PostfixOptions { Milter = milter.Socket, Ipv6 = true })
            : SendmailInstance.Start(new SendmailOptions
            {
                Milter = milter.Socket,
                McExtra = $"DAEMON_OPTIONS(`Family=inet6, Name=MTA6, Addr=::1, Port={sendmailV6Port}')dnl\n",
            });
        var v6Port = kind == MtaKind.Postfix ? mta.Port : sendmailV6Port;
        const string Client = """
            import smtplib, sys
            port, sender, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            message = ("From: <" + sender + ">\r\nTo: bob@example.org\r\nSubject: " + subject +
                       "\r\nMessage-ID: <" + subject.replace(" ", ".") + "@sid.test>\r\n\r\nover IPv6\r\n").encode()
            with smtplib.SMTP("::1", port, local_hostname="client.sid.test", timeout=60) as s:
                s.sendmail(sender, ["bob@example.org"], message)
            print("sent")
            """;
        foreach (var (sender, verdict) in new[] { ("alice@v6.sid.test", "pass"), ("alice@ok.sid.test", "fail") })
        {
            var subject = $"v6 {verdict} {Guid.NewGuid():N}";
            var sent = ProcessRunner.Run("python3", ["-c", Client, v6Port.ToString(), sender, subject], TimeSpan.FromMinutes(2));
            Assert.True(sent.Succeeded, $"{sent}\n{mta.Describe()}\n--- milter output ---\n{milter.Output}");

            var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
            var ar = Assert.Single(delivered.HeaderValues("Authentication-Results"));
            // A failing result carries a reason= between the result and its property.
            Assert.True(Regex.IsMatch(ar, $@"\bspf={verdict}\b[^;]*smtp\.mailfrom={Regex.Escape(sender[(sender.IndexOf('@') + 1)..])}") && Regex.IsMatch(ar, $@"\bsender-id={verdict}\b[^;]*header\.from={Regex.Escape(sender)}"),
                ar + "\n" + delivered.Raw + "\n--- milter output ---\n" + milter.Output);
        }
    }

    /// <summary>
    /// SMTPUTF8 mail (RFC 6531) through real Postfix: the envelope sender and From are in U-labels (münchen.sid.test),
    /// the record lives under the A-labels (xn--mnchen-3ya.sid.test). swaks cannot say SMTPUTF8, so Python's smtplib
    /// is the SMTP client. Sendmail is left out: whether it speaks SMTPUTF8 depends on how it was built (USE_EAI).
    /// </summary>
    [Fact]
    public void Smtputf8_mail_through_Postfix_is_checked_under_the_A_labels()
    {
        using var milter = SenderIdMilter.Start(dns);
        using var mta = MtaInstance.Start(MtaKind.Postfix, milter.Socket);
        var subject = $"eai {Guid.NewGuid():N}";
        const string Client = """
            import smtplib, sys
            port, subject = int(sys.argv[1]), sys.argv[2]
            message = ("From: Jörg <jörg@münchen.sid.test>\r\nTo: bob@example.org\r\nSubject: " + subject +
                       "\r\nMessage-ID: <" + subject.replace(" ", ".") + "@münchen.sid.test>\r\n\r\nGrüße\r\n").encode("utf-8")
            with smtplib.SMTP("127.0.0.1", port, local_hostname="client.sid.test", timeout=60) as s:
                s.sendmail("jörg@münchen.sid.test", ["bob@example.org"], message, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
            print("sent")
            """;
        var sent = ProcessRunner.Run("python3", ["-c", Client, mta.Port.ToString(), subject], TimeSpan.FromMinutes(2));
        Assert.True(sent.Succeeded, $"{sent}\n{mta.Describe()}\n--- milter output ---\n{milter.Output}");

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var ar = Assert.Single(delivered.HeaderValues("Authentication-Results"));
        // The identities as the message has them (a quoted-string: RFC 8601's token has no room for UTF-8); the
        // mailfrom without its local-part, which the policy did not use (RFC 8601 §2.7.2).
        Assert.True(ar.Contains("spf=pass smtp.mailfrom=\"münchen.sid.test\"") && ar.Contains("sender-id=pass header.from=\"jörg@münchen.sid.test\""),
            ar + "\n" + delivered.Raw + "\n--- milter output ---\n" + milter.Output);
    }

    /// <summary>
    /// The reply names the sender as written. A '%' in it (a legal local-part character) went out undoubled: Sendmail
    /// then sent its own "554 5.7.1 Command rejected" (for a 451 too, turning a retry into a bounce) and Postfix ate
    /// the '%' (found by an independent review; smfi_setreply(3) wants "%%").
    /// </summary>
    [Theory]
    [InlineData(MtaKind.Postfix, "mallory")]
    [InlineData(MtaKind.Sendmail, "mallory")]
    [InlineData(MtaKind.Postfix, "mal%lory")]
    [InlineData(MtaKind.Sendmail, "mal%lory")]
    public void RejectModeTwoAndUnauthorizedClientGets550(MtaKind kind, string localPart)
    {
        using var milter = SenderIdMilter.Start(dns, new JsonObject { ["RejectMode"] = 2 });
        using var mta = MtaInstance.Start(kind, milter.Socket);

        var sent = mta.Send(new SwaksMessage
        {
            From = $"{localPart}@deny.sid.test",
            Helo = "client.sid.test",
            Subject = "sid reject",
            Headers = { $"From: {localPart}@deny.sid.test" },
            Body = "hello",
        });

        Assert.False(sent.Accepted, Why(sent, mta, milter));
        Assert.True(sent.FirstError?.StartsWith("550") == true, "expected 550:\n" + Why(sent, mta, milter));
        Assert.Contains("5.7.1", sent.FirstError);
        Assert.Contains($"policy for sender {localPart}@deny.sid.test", sent.FirstError);
    }

    /// <summary>
    /// sid-filter's rc.local line, unchanged but for the program name and with no configuration of its own
    /// (`milters sid-filter -l -p inet:PORT@localhost -r 2 -c`), behind the real MTA: the authorized sender is
    /// delivered with sender-id=pass and spf=pass, the unauthorized one refused with 550 at the end of the message.
    /// </summary>
    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void The_sid_filter_rc_local_line_runs_behind_the_mta(MtaKind kind)
    {
        var socket = MilterSocket.FreeInet();
        var options = new MilterProcessOptions { Command = "sid-filter", Socket = socket };
        options.Args.AddRange(["--nameserver", dns.Endpoint, "-l", "-p", $"inet:{socket.Port}@localhost", "-r", "2", "-c"]);
        using var milter = MilterProcess.Start(options);
        using var mta = MtaInstance.Start(kind, milter.Socket);

        var subject = $"sid-filter line {Guid.NewGuid():N}";
        var pass = mta.Send(new SwaksMessage { From = "alice@ok.sid.test", Helo = "client.sid.test", Subject = subject, Headers = { "From: alice@ok.sid.test" }, Body = "hello" });
        Assert.True(pass.Accepted, Why(pass, mta, milter));
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var ar = Assert.Single(delivered.HeaderValues("Authentication-Results"));
        Assert.True(ar.Contains("sender-id=pass header.from=alice@ok.sid.test") && ar.Contains("spf=pass smtp.mailfrom=ok.sid.test"), ar);

        var reject = mta.Send(new SwaksMessage { From = "mallory@deny.sid.test", Helo = "client.sid.test", Subject = "sid-filter line reject", Headers = { "From: mallory@deny.sid.test" }, Body = "hello" });
        Assert.False(reject.Accepted, Why(reject, mta, milter));
        Assert.True(reject.FirstError?.StartsWith("550") == true, "expected 550:\n" + Why(reject, mta, milter));
    }

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void DnsTimeoutGivesTheSmtpClient451(MtaKind kind)
    {
        // Queries for slow.sid.test are dropped by the DNS server; the host's resolver gives up after its
        // configured timeout (1 s, 1 retry) and the message is temp-failed instead of hanging the MTA.
        using var milter = SenderIdMilter.Start(dns);
        using var mta = MtaInstance.Start(kind, milter.Socket);

        var sent = mta.Send(new SwaksMessage
        {
            From = "alice@x.slow.sid.test",
            Helo = "client.sid.test",
            Subject = "sid timeout",
            Headers = { "From: alice@x.slow.sid.test" },
            Body = "hello",
        });

        Assert.False(sent.Accepted, Why(sent, mta, milter));
        Assert.True(sent.FirstError?.StartsWith("451") == true, "expected 451:\n" + Why(sent, mta, milter));
        Assert.Contains("4.7.0", sent.FirstError);
    }
}
