using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Milters.Host.Hosting;

/// <summary>The <c>Listen</c> section, validated.</summary>
public sealed record ListenOptions(
    SocketSpec Socket,
    UnixFileMode UnixSocketMode,
    ClientAllowList AllowedClients,
    int Backlog,
    TimeSpan DrainTimeout)
{
    public const string DefaultSocket = "inet:8891@127.0.0.1";

    /// <summary>Default of Listen:MaxConnections: far above an MTA's milter connections (one per SMTP session; Postfix's default_process_limit is 100).</summary>
    public const int DefaultMaxConnections = 1000;

    /// <summary>Listen:MaxConnections: conversations served at once; more are closed at accept with one log line per burst.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// Listen:EventLoops: threads of our own that accept and serve the connections, each with its own epoll set
    /// (EventLoops/EventLoop.cs). Default one per core on Linux; 0 (and any other system) serves them with .NET's sockets
    /// instead, as does Listen:InlineCompletions=false (for plugins that block their thread). Read at start only.
    /// </summary>
    public int EventLoops { get; init; }

    /// <summary>What Listen:EventLoops is when not set.</summary>
    public static int DefaultEventLoops(bool inlineCompletions) =>
        OperatingSystem.IsLinux() && inlineCompletions ? Environment.ProcessorCount : 0;

    public static ListenOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Listen");
        var spec = SocketSpec.Parse(section["Socket"] ?? DefaultSocket);

        var modeText = section["UnixSocketMode"] ?? "0660";
        if (!TryParseOctal(modeText, out var mode))
            throw new StartupException($"Listen:UnixSocketMode: \"{modeText}\" is not an octal file mode like 0660");

        var entries = ConfigLists.Get(configuration, "Listen:AllowedClients");
        var allow = entries is null ? ClientAllowList.LoopbackOnly : ClientAllowList.Parse(entries);

        var backlog = ConfigValues.ReadInt(section, "Backlog", 128, 1, 65535);
        var drain = ConfigValues.ReadTime(section, "DrainTimeout", TimeSpan.FromSeconds(30));
        var max = ConfigValues.ReadInt(section, "MaxConnections", DefaultMaxConnections, 1, 1_000_000);
        var loops = ConfigValues.ReadInt(section, "EventLoops", DefaultEventLoops(ConfigValues.ReadBool(section, "InlineCompletions", true)), 0, 1024);
        if (loops > 0 && !OperatingSystem.IsLinux())
            throw new StartupException("Listen:EventLoops: the event loops use Linux's epoll; set 0 on this system");
        return new ListenOptions(spec, (UnixFileMode)mode, allow, backlog, drain) { MaxConnections = max, EventLoops = loops };
    }

    private static bool TryParseOctal(string text, out int mode)
    {
        mode = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '7') return false;
            mode = mode * 8 + (c - '0');
        }
        return text.Length is > 0 and <= 4 && mode <= 0xFFF; // up to 07777
    }

    // Kept for callers outside the hosting folder that read settings this way; new code uses ConfigValues.
    internal static int ReadInt(IConfigurationSection section, string key, int fallback, int min, int max) => ConfigValues.ReadInt(section, key, fallback, min, max);

    internal static TimeSpan ReadTime(IConfigurationSection section, string key, TimeSpan fallback) => ConfigValues.ReadTime(section, key, fallback);

    internal static bool ReadBool(IConfigurationSection section, string key, bool fallback) => ConfigValues.ReadBool(section, key, fallback);
}
