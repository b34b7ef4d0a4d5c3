using System.Globalization;

namespace Milters.Abstractions;

/// <summary>
/// Reads a time span from configuration ("00:00:05", "1.00:00:00"). A bare number is refused: .NET would
/// read "5" as five days, where an administrator coming from dk-filter's "-T 5" means five seconds.
/// </summary>
public static class ConfigTime
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        return text is not null && text.Contains(':') && TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out value);
    }
}
