using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// Mail from local programs (cron, scripts, a web application calling sendmail(1)) reaches the milter through
/// Postfix's pickup and cleanup — `non_smtpd_milters`, which the shipped main.cf lines set to the same milter —
/// with a connection Postfix makes up (localhost, 127.0.0.1) and no SMTP session behind it. dk-filter's default
/// (127.0.0.1 is an internal host) signs it; a configuration that signs by daemon name only does not.
/// </summary>
[Collection(MtaCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LocalSubmissionTests
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    private static string Message(string subject) =>
        $"From: Alice <alice@example.com>\nTo: bob@example.org\nSubject: {subject}\n\nfrom a cron job,\nsigned on the way out.\n";

    [Fact]
    public void Mail_from_postfix_sendmail_command_is_signed_and_mail_dkim_verifies_it()
    {
        using var dk = DomainKeysMilter.Start();
        using var mta = PostfixInstance.Start(dk.Milter.Socket);

        var subject = $"local {Guid.NewGuid():N}";
        var submitted = mta.SubmitLocally("alice@example.com", Message(subject));
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
        var submitted = mta.SubmitLocally("alice@example.com", Message(subject));
        Assert.True(submitted.ExitCode == 0, submitted.Output + "\n" + mta.Describe());

        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        Assert.Empty(delivered.HeaderValues("DomainKey-Signature"));
        Assert.Contains(delivered.HeaderValues("Authentication-Results"), v => v.StartsWith(DomainKeysMilter.AuthservId) && v.Contains("domainkeys=none"));
    }
}
