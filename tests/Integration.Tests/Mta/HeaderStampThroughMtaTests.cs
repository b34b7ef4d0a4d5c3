using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Mta;

/// <summary>
/// The host as a real process behind real Postfix and Sendmail (issue 2): the HeaderStamp test plugin's header reaches
/// the mailbox, its reject reaches the SMTP client, and with the milter gone the MTA's default action applies.
/// </summary>
[Collection(MtaCollection.Name)]
public sealed class HeaderStampThroughMtaTests
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    private static string Why(SwaksResult sent, MtaInstance mta, MilterProcess? milter) =>
        $"{sent}\n{mta.Describe()}\n--- milter output ---\n{milter?.Output ?? "(no milter)"}";

    [Theory]
    [InlineData(MtaKind.Postfix, false)]
    [InlineData(MtaKind.Postfix, true)]
    [InlineData(MtaKind.Sendmail, false)]
    [InlineData(MtaKind.Sendmail, true)]
    public void MessageArrivesWithTheStampedHeader(MtaKind kind, bool unixSocket)
    {
        var stamp = $"stamp-{Guid.NewGuid():N}";
        using var milter = HeaderStampMilter.Start(stamp, unixSocket: unixSocket);
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"header stamp {stamp}";

        var sent = mta.Send(new SwaksMessage { Subject = subject, Headers = { "From: Alice <alice@example.com>" }, Body = "hello\nworld" });

        Assert.True(sent.Accepted, Why(sent, mta, milter));
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        Assert.True(delivered.HeaderValues(HeaderStampMilter.Header).Contains(stamp),
            $"{HeaderStampMilter.Header}: {stamp} missing in\n{delivered}\n{mta.Describe()}\n{milter.Output}");
        Assert.Single(delivered.HeaderValues(HeaderStampMilter.Header));
        Assert.Contains("world", delivered.Body);
    }

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void SeveralMessagesOnOneSmtpConnectionAreEachStamped(MtaKind kind)
    {
        var stamp = $"stamp-{Guid.NewGuid():N}";
        using var milter = HeaderStampMilter.Start(stamp);
        using var mta = MtaInstance.Start(kind, milter.Socket);

        // smtp-source (from the postfix package) -d: three messages in one SMTP session, hence one milter
        // connection carrying three message transactions
        var r = ProcessRunner.Run("smtp-source", ["-d", "-s", "1", "-m", "3", "-l", "512", "-f", "alice@example.com",
            "-t", "bob@example.org", "-S", stamp, $"127.0.0.1:{mta.Port}"], TimeSpan.FromMinutes(2));
        Assert.True(r.Succeeded, $"{r}\n{mta.Describe()}\n--- milter output ---\n{milter.Output}");

        var all = mta.Maildir.WaitFor(3, Delivery);
        Assert.Equal(3, all.Count);
        Assert.All(all, m => Assert.Equal(stamp, m.Header(HeaderStampMilter.Header)));
    }

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void RejectingPluginGivesTheSmtpClientA5xx(MtaKind kind)
    {
        using var milter = HeaderStampMilter.Start("unused", reject: true);
        using var mta = MtaInstance.Start(kind, milter.Socket);

        var sent = mta.Send(new SwaksMessage { Subject = "to be rejected", Body = "hello" });

        Assert.False(sent.Accepted, Why(sent, mta, milter));
        Assert.True(sent.FirstError?.StartsWith('5') == true, "expected a 5xx reply:\n" + Why(sent, mta, milter));
        Thread.Sleep(1000); // a delivery, if any, would be under way by now
        Assert.Empty(mta.Maildir.Files());
    }

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void ThrowingPluginGetsItsOnErrorActionTempfail(MtaKind kind)
    {
        using var milter = HeaderStampMilter.Start("unused", @throw: true, onError: "TempFail");
        using var mta = MtaInstance.Start(kind, milter.Socket);

        var sent = mta.Send(new SwaksMessage { Subject = "plugin throws", Body = "hello" });

        Assert.False(sent.Accepted, Why(sent, mta, milter));
        Assert.True(sent.FirstError?.StartsWith('4') == true, "expected a 4xx reply:\n" + Why(sent, mta, milter));
        // the process carries on: the next connection is served
        Assert.True(MilterProcess.Accepts(milter.Socket), "the milter stopped accepting connections:\n" + milter.Output);
        Assert.False(milter.HasExited, milter.Output);
    }

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void MilterStoppedMeansTheMtaDefaultActionTempfail(MtaKind kind)
    {
        var stamp = $"stamp-{Guid.NewGuid():N}";
        var milter = HeaderStampMilter.Start(stamp);
        var socket = milter.Socket;
        using var mta = MtaInstance.Start(kind, socket, "tempfail");
        var before = mta.Send(new SwaksMessage { Subject = "milter up", Body = "hello" });
        Assert.True(before.Accepted, Why(before, mta, milter));

        var exit = milter.Stop();
        var output = milter.Output;
        milter.Dispose();
        Assert.True(exit == 0, $"SIGTERM should end the milter with exit code 0, got {exit}:\n{output}");

        var after = mta.Send(new SwaksMessage { Subject = "milter down", Body = "hello" });
        Assert.False(after.Accepted, Why(after, mta, null));
        Assert.True(after.FirstError?.StartsWith('4') == true, "expected a 4xx reply:\n" + Why(after, mta, null));
        var delivered = mta.Maildir.WaitFor(1, Delivery);
        Assert.Single(delivered);
        Assert.Equal(stamp, delivered[0].Header(HeaderStampMilter.Header));
    }
}
