using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.AuthResults;

/// <summary>
/// RFC 8601 §5 through real Postfix and Sendmail: a message arrives with 1, 2 or 5 Authentication-Results headers
/// forged for our authserv-id, mixed with foreign ones. None of the forged ones is delivered, every foreign one is,
/// in order, and ours is there once, on top of them. swaks connects from 127.0.0.1, so InternalHosts is set to a
/// network that does not include it.
/// </summary>
[Collection(MtaCollection.Name)]
public sealed class AuthResultsThroughMtaTests
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    public static TheoryData<MtaKind, int> Cases()
    {
        var data = new TheoryData<MtaKind, int>();
        foreach (var mta in new[] { MtaKind.Postfix, MtaKind.Sendmail })
            foreach (var n in new[] { 1, 2, 5 })
                data.Add(mta, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void No_forged_header_is_delivered_and_every_foreign_one_is(MtaKind kind, int forged)
    {
        using var milter = AuthResultsMilter.Start(new JsonObject { ["InternalHosts"] = new JsonArray("192.0.2.255/32") });
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"forged {forged} {Guid.NewGuid():N}";

        var sent = mta.Send(new SwaksMessage { From = "alice@example.com", Data = AuthResultsMilter.Message(forged, subject, out _) });

        Assert.True(sent.Accepted, $"{sent}\n{mta.Describe()}\n{milter.Output}");
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var ar = delivered.HeaderValues("Authentication-Results");
        var why = $"{delivered.Raw}\n--- milter ---\n{milter.Output}";

        Assert.DoesNotContain(ar, v => v.Contains("forged-"));
        Assert.Equal(["foreign-1", "foreign-2", "foreign-3"], ar.Where(v => v.Contains("foreign-")).Select(v => v[v.IndexOf("foreign-")..][..9]));
        var ours = Assert.Single(ar, v => v.StartsWith(AuthResultsMilter.AuthservId + ";"));
        Assert.Equal($"{AuthResultsMilter.AuthservId}; none", ours);
        Assert.True(ar.Count == 4, why);
        // Ours is above every Authentication-Results header that came with the message.
        Assert.Equal(ours, ar[0]);
    }

    [Theory]
    [InlineData(MtaKind.Postfix)]
    [InlineData(MtaKind.Sendmail)]
    public void Mail_from_an_internal_host_keeps_its_headers(MtaKind kind)
    {
        using var milter = AuthResultsMilter.Start(new JsonObject { ["InternalHosts"] = new JsonArray("127.0.0.1") });
        using var mta = MtaInstance.Start(kind, milter.Socket);
        var subject = $"internal {Guid.NewGuid():N}";

        var sent = mta.Send(new SwaksMessage { From = "alice@example.com", Data = AuthResultsMilter.Message(2, subject, out _) });

        Assert.True(sent.Accepted, $"{sent}\n{mta.Describe()}\n{milter.Output}");
        var delivered = mta.Maildir.WaitFor(m => m.Header("Subject") == subject, Delivery, subject);
        var ar = delivered.HeaderValues("Authentication-Results");
        Assert.Equal(2, ar.Count(v => v.Contains("forged-")));
        Assert.Equal(3, ar.Count(v => v.Contains("foreign-")));
        Assert.Equal(6, ar.Count);
    }
}
