using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Mta;

/// <summary>miltertest (OpenDKIM's milter test tool, an independent milter client) drives the host through one full message.</summary>
public sealed class MiltertestTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneFullMessageGetsTheStampedHeader(bool unixSocket)
    {
        var stamp = $"stamp-{Guid.NewGuid():N}";
        using var milter = HeaderStampMilter.Start(stamp, unixSocket: unixSocket);

        var r = Miltertest.Run("milters-message.lua", milter.Socket,
            new Dictionary<string, string> { ["header"] = HeaderStampMilter.Header, ["value"] = stamp });

        Assert.True(r.Succeeded, $"{r}\n--- milter output ---\n{milter.Output}");
        Assert.Contains("*** PASS", r.Output);
    }

    [Fact]
    public void RejectIsAnswered5xx()
    {
        using var milter = HeaderStampMilter.Start("unused", reject: true);

        var r = Miltertest.Run("milters-message.lua", milter.Socket, new Dictionary<string, string>
        {
            ["expect"] = "reject",
            // HeaderStamp's documented reject reply
            ["reply"] = $"550 5.7.1 rejected by {HeaderStampMilter.Header}",
        });

        Assert.True(r.Succeeded, $"{r}\n--- milter output ---\n{milter.Output}");
    }
}
