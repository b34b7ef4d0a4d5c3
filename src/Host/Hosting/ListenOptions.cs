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

        var backlog = ReadInt(section, "Backlog", 128, 1, 65535);
        var drain = ReadTime(section, "DrainTimeout", TimeSpan.FromSeconds(30));
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

    internal static int ReadInt(IConfigurationSection section, string key, int fallback, int min, int max)
    {
        var text = section[key];
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new StartupException($"{section.Path}:{key}: \"{text}\" is not a number from {min} to {max}");
        return value;
    }

    internal static TimeSpan ReadTime(IConfigurationSection section, string key, TimeSpan fallback)
    {
        var text = section[key];
        if (text is null) return fallback;
        if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) || value < TimeSpan.Zero)
            throw new StartupException($"{section.Path}:{key}: \"{text}\" is not a time span like 00:00:05");
        return value;
    }

    internal static bool ReadBool(IConfigurationSection section, string key, bool fallback)
    {
        var text = section[key];
        if (text is null) return fallback;
        if (!bool.TryParse(text, out var value))
            throw new StartupException($"{section.Path}:{key}: \"{text}\" is not true or false");
        return value;
    }
}
