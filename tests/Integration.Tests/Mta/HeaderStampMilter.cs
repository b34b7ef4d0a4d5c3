using System.Text.Json.Nodes;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Mta;

/// <summary>The built host with only the HeaderStamp test plugin loaded, configured by its section.</summary>
internal static class HeaderStampMilter
{
    public const string Header = "X-Milters-Stamp";

    /// <summary>Starts the host; STAMP is the header value (unique per test, to find the message again).</summary>
    public static MilterProcess Start(string stamp, bool reject = false, bool @throw = false, bool unixSocket = false,
        string? onError = null)
    {
        var section = new JsonObject { ["Header"] = Header, ["Value"] = stamp, ["Reject"] = reject, ["Throw"] = @throw };
        if (onError != null) section["OnError"] = onError;
        var options = new MilterProcessOptions
        {
            UseUnixSocket = unixSocket,
            Config = new JsonObject
            {
                ["Plugins"] = new JsonObject { ["Order"] = new JsonArray("HeaderStamp") },
                ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Debug" } },
                ["HeaderStamp"] = section,
            },
            TestPlugins = { "HeaderStamp" },
        };
        return MilterProcess.Start(options);
    }
}
