using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Milter;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// A client that sends garbage on connection after connection gets each one closed, but the log gets at most
/// <see cref="MilterConnectionHandler.ProtocolErrorLinesPerMinute"/> protocol-error lines a minute (a chaos run saw
/// some 2,000 a minute from one local client).
/// </summary>
public class ProtocolErrorLogTests
{
    [Fact]
    public async Task Protocol_errors_past_the_minutes_allowance_close_their_connections_without_a_line_each()
    {
        var plugin = new ScriptedPlugin("Any", PluginNeeds.AddHeaders);
        await using var server = MilterTestServer.StartTcp(MilterTestServer.Plugin(plugin));
        var connections = MilterConnectionHandler.ProtocolErrorLinesPerMinute + 5;
        for (var i = 0; i < connections; i++)
        {
            await using var client = await server.ConnectAsync();
            await client.SendRawAsync([0, 0, 0, 1, (byte)'a']); // no such command
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)), $"connection {i} was not closed");
        }
        await server.WaitForHandlersAsync();
        var lines = server.Logs.AtLeast(LogLevel.Warning).Where(l => l.Contains("protocol error", StringComparison.Ordinal)).ToList();
        Assert.Equal(MilterConnectionHandler.ProtocolErrorLinesPerMinute, lines.Count);
        Assert.All(lines, l => Assert.Contains("unknown command", l, StringComparison.OrdinalIgnoreCase));
    }
}
