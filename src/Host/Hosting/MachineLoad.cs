using System.Globalization;

namespace Milters.Host.Hosting;

/// <summary>
/// The one-minute load average (Linux's /proc/loadavg), read when a warning needs it to say whether the machine had
/// more runnable threads than cores — a thread that waited for a core looks, from inside, like a thread that blocked.
/// </summary>
public static class MachineLoad
{
    private const string LoadAverageFile = "/proc/loadavg";

    /// <summary>The one-minute load average, or null where the system does not tell it.</summary>
    public static double? OneMinute()
    {
        try
        {
            var text = File.ReadAllText(LoadAverageFile);
            var end = text.IndexOf(' ');
            return end > 0 && double.TryParse(text.AsSpan(0, end), NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
