using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Milters.Host.Hosting;

/// <summary>Reads one typed setting; a bad value is a <see cref="StartupException"/> naming the key and the value.</summary>
public static class ConfigValues
{
    public static int ReadInt(IConfigurationSection section, string key, int fallback, int min, int max)
    {
        var text = section[key];
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new StartupException($"{section.Path}:{key}: \"{text}\" is not a number from {min} to {max}");
        return value;
    }

    public static TimeSpan ReadTime(IConfigurationSection section, string key, TimeSpan fallback)
    {
        var text = section[key];
        if (text is null) return fallback;
        if (!Milters.Abstractions.ConfigTime.TryParse(text, out var value) || value < TimeSpan.Zero)
            throw new StartupException($"{section.Path}:{key}: \"{text}\" is not a time span like 00:00:05");
        return value;
    }

    public static bool ReadBool(IConfigurationSection section, string key, bool fallback)
    {
        var text = section[key];
        if (text is null) return fallback;
        if (!bool.TryParse(text, out var value))
            throw new StartupException($"{section.Path}:{key}: \"{text}\" is not true or false");
        return value;
    }
}
