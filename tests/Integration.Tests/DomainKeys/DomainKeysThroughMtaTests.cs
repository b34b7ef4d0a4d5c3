using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// Real Postfix and Sendmail in front of the built host (DomainKeys + AuthResults), keys published by the real DNS
/// server. As in the seed, only mail submitted on the MSA port ({daemon_name} MSA) is signed: swaks connects from
/// 127.0.0.1, so no host is internal here. The signed message, delivered and sent back in through the MTA port,
/// verifies as pass — in the milter and in Mail::DKIM.
/// </summary>
[Collection(MtaCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DomainKeysThroughMtaTests
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    private static string Why(SwaksResult sent, MtaInstance mta, DomainKeysMilter dk) =>
        $"{sent}\n{mta.Describe()}\n--- milter output ---\n{dk.Milter.Output}";

    private static SwaksMessage Message(string subject) => new()
    {
        From = "alice@example.com",
        Subject = subject,
        Headers = { "From: Alice <alice@example.com>", "X-Folded: one\n\ttwo  three" },
        Body = "Hello Bob,\n\nsigned on submission.\n\n\n",
    };

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void Msa_signs_mta_does_not_and_the_signed_message_verifies_back_in(MtaKind kind)
    {
        using var dk = DomainKeysMilter.Start(new JsonObject
        {
            ["InternalHosts"] = new JsonArray("192.0.2.255/32"),
            ["SigningDaemons"] = new JsonArray("MSA"),
        });
        using var mta = MtaInstance.Start(kind, dk.Milter.Socket);

        // 1. Submission port: signed.
        var subject = $"dk msa {Guid.NewGuid():N}";
        var sent = mta.Send(Message(subject), submission: true);
        Assert.True(sent.Accepted, Why(sent, mta, dk));
        var signed = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var signature = Assert.Single(signed.HeaderValues("DomainKey-Signature"));
        Assert.Contains("d=example.com; s=dkit;", signature.Replace("\r", "").Replace("\n", "").Replace("\t", " "));

        // Independently: Mail::DKIM accepts what the MTA delivered.
        var (perlPass, perlOutput) = dk.PerlVerify(Encoding.UTF8.GetBytes(signed.Raw));
        Assert.True(perlPass, perlOutput + "\n" + signed.Raw + "\n--- milter output ---\n" + dk.Milter.Output);

        // 2. MTA port: the same message is not signed; with nothing to verify, domainkeys=none.
        var plainSubject = $"dk mta {Guid.NewGuid():N}";
        var plain = mta.Send(Message(plainSubject));
        Assert.True(plain.Accepted, Why(plain, mta, dk));
        var unsigned = mta.Maildir.WaitFor(m => m.Header("Subject") == plainSubject, Delivery, plainSubject);
        Assert.Empty(unsigned.HeaderValues("DomainKey-Signature"));
        Assert.Contains(unsigned.HeaderValues("Authentication-Results"), v => v.Contains("domainkeys=none"));

        // 3. The signed message comes back in through the MTA port: verified, pass.
        var again = mta.Send(new SwaksMessage { From = "alice@example.com", Data = ResendData(signed.Raw, out var marker) });
        Assert.True(again.Accepted, Why(again, mta, dk));
        var verified = mta.Maildir.WaitFor(m => m.Raw.Contains(marker) && m.Path != signed.Path, Delivery, "the message sent back in");
        var ours = verified.HeaderValues("Authentication-Results").Where(v => v.StartsWith(DomainKeysMilter.AuthservId)).ToList();
        Assert.True(ours.Any(v => v.Contains("domainkeys=pass") && v.Contains("header.d=example.com")),
            string.Join("\n", ours) + "\n" + verified.Raw + "\n" + dk.Milter.Output);
        Assert.Single(verified.HeaderValues("DomainKey-Signature")); // never signed twice
    }

    /// <summary>
    /// main.cf files from the dk-filter years set an older milter_protocol (2 was the advice for dk-filter and
    /// Postfix 2.3): no SMFIC_DATA, no no-reply steps, fewer actions. The negotiation must stay within what the
    /// MTA offers, and mail is still signed on submission and verified on the way in.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Postfix_with_an_older_milter_protocol_still_signs_and_verifies(int version)
    {
        using var dk = DomainKeysMilter.Start(new JsonObject
        {
            ["InternalHosts"] = new JsonArray("192.0.2.255/32"),
            ["SigningDaemons"] = new JsonArray("MSA"),
        });
        using var mta = PostfixInstance.Start(new PostfixOptions { Milter = dk.Milter.Socket, Set = { $"milter_protocol={version}" } });

        var subject = $"dk protocol {version} {Guid.NewGuid():N}";
        var sent = mta.Send(Message(subject), submission: true);
        Assert.True(sent.Accepted, Why(sent, mta, dk));
        var signed = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        Assert.Single(signed.HeaderValues("DomainKey-Signature"));
        var (perlPass, perlOutput) = dk.PerlVerify(Encoding.UTF8.GetBytes(signed.Raw));
        Assert.True(perlPass, perlOutput + "\n" + signed.Raw + "\n--- milter output ---\n" + dk.Milter.Output);

        var again = mta.Send(new SwaksMessage { From = "alice@example.com", Data = ResendData(signed.Raw, out var marker) });
        Assert.True(again.Accepted, Why(again, mta, dk));
        var verified = mta.Maildir.WaitFor(m => m.Raw.Contains(marker) && m.Path != signed.Path, Delivery, "the message sent back in");
        Assert.Contains(verified.HeaderValues("Authentication-Results"),
            v => v.StartsWith(DomainKeysMilter.AuthservId) && v.Contains("domainkeys=pass"));
        Assert.DoesNotContain("protocol error", dk.Milter.Output);
    }

    /// <summary>
    /// The delivered file as DATA for a second trip: the delivery headers above the signature go (they are not
    /// signed), the message-unique Message-ID stays as the marker to find the new delivery.
    /// </summary>
    private static string ResendData(string raw, out string marker)
    {
        var text = raw.Replace("\r\n", "\n");
        var sigAt = text.IndexOf("\nDomainKey-Signature:", StringComparison.Ordinal);
        var data = sigAt >= 0 ? text[(sigAt + 1)..] : text;
        var idLine = data.Split('\n').First(l => l.StartsWith("Message-Id:", StringComparison.OrdinalIgnoreCase));
        marker = idLine[(idLine.IndexOf(':') + 1)..].Trim();
        return data;
    }

    // Mail from local programs (cron, scripts, a web application calling sendmail(1)) reaches the milter through
    // Postfix's pickup and cleanup — non_smtpd_milters, which the shipped main.cf lines set to the same milter —
    // with a connection Postfix makes up (localhost, 127.0.0.1) and no SMTP session behind it. dk-filter's default
    // (127.0.0.1 is an internal host) signs it; a configuration that signs by daemon name only does not.
    private static string LocalMessage(string subject) =>
        $"From: Alice <alice@example.com>\nTo: bob@example.org\nSubject: {subject}\n\nfrom a cron job,\nsigned on the way out.\n";

    [Fact]
    public void Mail_from_postfix_sendmail_command_is_signed_and_mail_dkim_verifies_it()
    {
        using var dk = DomainKeysMilter.Start();
        using var mta = PostfixInstance.Start(dk.Milter.Socket);

        var subject = $"local {Guid.NewGuid():N}";
        var submitted = mta.SubmitLocally("alice@example.com", LocalMessage(subject));
        Assert.True(submitted.ExitCode == 0, submitted.Output + "\n" + mta.Describe());

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var signature = Assert.Single(delivered.HeaderValues("DomainKey-Signature"));
        Assert.Contains("d=example.com; s=dkit;", signature.Replace("\r", "").Replace("\n", "").Replace("\t", " "));
        var (perlPass, perlOutput) = dk.PerlVerify(Encoding.UTF8.GetBytes(delivered.Raw));
        Assert.True(perlPass, perlOutput + "\n" + delivered.Raw + "\n--- milter output ---\n" + dk.Milter.Output);
    }

    [Fact]
    public void Signing_by_daemon_name_only_leaves_local_mail_unsigned()
    {
        using var dk = DomainKeysMilter.Start(new JsonObject
        {
            ["InternalHosts"] = new JsonArray("192.0.2.255/32"),
            ["SigningDaemons"] = new JsonArray("MSA"),
        });
        using var mta = PostfixInstance.Start(dk.Milter.Socket);

        var subject = $"local unsigned {Guid.NewGuid():N}";
        var submitted = mta.SubmitLocally("alice@example.com", LocalMessage(subject));
        Assert.True(submitted.ExitCode == 0, submitted.Output + "\n" + mta.Describe());

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        Assert.Empty(delivered.HeaderValues("DomainKey-Signature"));
        Assert.Contains(delivered.HeaderValues("Authentication-Results"), v => v.StartsWith(DomainKeysMilter.AuthservId) && v.Contains("domainkeys=none"));
    }
}
