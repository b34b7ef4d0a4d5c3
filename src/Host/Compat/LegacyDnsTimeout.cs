using System.Globalization;

namespace Milters.Host.Compat;

/// <summary>
/// The -T flag dk-filter and sid-filter share: seconds to wait for a DNS answer, as a Dns:Timeout value.
/// Their 0 meant "wait forever", which would let one dead name server hold every message: refused.
/// </summary>
internal static class LegacyDnsTimeout
{
    public static string Parse(string value)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            throw new LegacyCommandLineException($"-T \"{value}\" is not a number of seconds");
        if (seconds == 0)
            throw new LegacyCommandLineException("-T 0 (wait forever for DNS) is not supported: give a number of seconds");
        return TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
    }
}
