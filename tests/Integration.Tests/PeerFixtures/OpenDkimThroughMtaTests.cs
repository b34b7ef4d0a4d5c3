using Milters.Testing.Peers;

namespace Milters.Integration.Tests.PeerFixtures;

/// <summary>
/// The MTA fixtures with a known-good milter (OpenDKIM, signing): what the host's tests assert about Postfix and
/// Sendmail holds for a reference implementation too, so a failure there points at the host, not the harness.
/// </summary>
[Collection(MtaCollection.Name)]
public sealed class OpenDkimThroughMtaTests
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void SubmittedMessageArrivesSignedByTheMilter(MtaKind kind)
    {
        using var opendkim = OpenDkimMilter.Start("s", "example.com", "peers");
        using var mta = MtaInstance.Start(kind, opendkim.Socket);
        var subject = $"fixture check {Guid.NewGuid():N}";

        var sent = mta.Send(new SwaksMessage { Subject = subject, Headers = { "From: Alice <alice@example.com>" }, Body = "hello" },
            submission: true);

        Assert.True(sent.Accepted, $"{sent}\n{mta.Describe()}");
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var signature = delivered.Header("DKIM-Signature");
        Assert.True(signature != null, $"no DKIM-Signature in\n{delivered}\n{mta.Describe()}");
        Assert.Contains("d=example.com", signature);
        Assert.Contains("s=peers", signature);
    }

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void MilterDownWithTempfailDefaultGives4xx(MtaKind kind)
    {
        // a port nobody listens on
        using var mta = MtaInstance.Start(kind, MilterSocket.FreeInet(), "tempfail");

        var sent = mta.Send(new SwaksMessage { Subject = "milter down", Body = "hello" });

        Assert.False(sent.Accepted, $"{sent}\n{mta.Describe()}");
        Assert.True(sent.FirstError?.StartsWith('4') == true, $"expected a 4xx reply:\n{sent}\n{mta.Describe()}");
        Assert.Empty(mta.Maildir.Files());
    }

    [Fact]
    public void MiltertestDrivesOpenDkimThroughOneMessage()
    {
        using var opendkim = OpenDkimMilter.Start("s", "example.com", "peers");

        var sign = Miltertest.Run("opendkim-sign.lua", opendkim.Socket);
        Assert.True(sign.Succeeded, sign.ToString());
        Assert.Contains("*** PASS", sign.Output);

        var generic = Miltertest.Run("milters-message.lua", opendkim.Socket,
            new Dictionary<string, string> { ["header"] = "DKIM-Signature", ["value"] = "d=example.com" });
        Assert.True(generic.Succeeded, generic.ToString());

        var wrongHeader = Miltertest.Run("milters-message.lua", opendkim.Socket,
            new Dictionary<string, string> { ["header"] = "X-Not-There" });
        Assert.False(wrongHeader.Succeeded, wrongHeader.ToString());
        Assert.Contains("*** FAIL: no X-Not-There header was added", wrongHeader.Output);
    }
}
