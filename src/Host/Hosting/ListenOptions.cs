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
        return new ListenOptions(spec, (UnixFileMode)mode, allow, backlog, drain);
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
