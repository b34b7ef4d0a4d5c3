using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.AuthResults;

/// <summary>
/// Forged headers whose field name is spelled oddly but that a reader still takes for Authentication-Results:
/// lower case, and white space before the colon (RFC 5322 §4.5.3 obs-optional). Through real Postfix and Sendmail.
/// </summary>
[Collection(MtaCollection.Name)]
public sealed class AuthResultsOddNamesThroughMtaTests
{
    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void Oddly_named_forged_headers_are_not_delivered(MtaKind kind)
    {
        using var milter = AuthResultsMilter.Start(new JsonObject { ["InternalHosts"] = new JsonArray("192.0.2.255/32") });
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"odd names {Guid.NewGuid():N}";
        var message =
            "authentication-results: mx.ar.test; dkim=pass header.d=forged-a.example\r\n" +
            "Authentication-Results: other.example.org; dkim=pass header.d=foreign-1.example\r\n" +
            "Authentication-Results : mx.ar.test; dkim=pass header.d=forged-b.example\r\n" +
            "Authentication-Results\t: other.example.org; spf=pass smtp.mailfrom=a@foreign-2.example\r\n" +
            "AUTHENTICATION-RESULTS:mx.ar.test;dkim=pass header.d=forged-c.example\r\n" +
            $"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: {subject}\r\n\r\nhello\r\n";

        var sent = mta.Send(new SwaksMessage { From = "alice@example.com", Data = message });

        Assert.True(sent.Accepted, $"{sent}\n{mta.Describe()}\n{milter.Output}");
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, TimeSpan.FromSeconds(60), subject);
        var why = $"{delivered.Raw}\n--- milter ---\n{milter.Output}";
        Assert.False(delivered.Raw.Contains("forged-"), why);
        Assert.True(delivered.Raw.Contains("foreign-1.example") && delivered.Raw.Contains("foreign-2.example"), why);
    }
}
