using System.Globalization;

namespace Milters.Host.Compat;

/// <summary>
/// sid-filter's command line (sid-filter.8, version 1.0.0) as configuration keys, for `milters sid-filter …`.
/// Every flag of the man page is either mapped or refused with the reason; getopt-style clusters
/// ("-lf", "-r2", "-p inet:8891@localhost") work as they did.
/// sid-filter wrote its Authentication-Results header itself; here the SenderId plugin records the
/// results and the AuthResults plugin writes the header, so the plugin order is [SenderId, AuthResults].
/// </summary>
public sealed class SidFilterCommandLine : ILegacyCommandLine
{
    public string Tool => "sid-filter";

    public string OptionString => Flags;

    public string VersionDetails => "Sender ID (RFC 4406, 4407): scopes mfrom and pra; SPF (RFC 7208) records";

    // getopt string of sid-filter 1.0.0: flags followed by ':' take a value.
    private const string Flags = "a:ABcC:d:DfhH:lL:M:np:P:qQr:R:tT:u:V";

    public LegacyTranslation Translate(IReadOnlyList<string> args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Plugins:Order"] = "SenderId,AuthResults",
            // Run next to `milters dk-filter`: its header is not a forgery (AuthResults:SiblingMethods).
            [DkFilterCommandLine.SiblingMethodsKey] = "domainkeys",
            // sid-filter rejected mail without a determinable PRA unless -c was given.
            ["SenderId:RejectMissingPra"] = "true",
        };
        var notes = new List<string>();
        var flags = GetOpt.Parse(args, Flags, "sid-filter").ToList();
        if (flags.Any(f => f.Flag == 'V')) return LegacyTranslation.VersionOnly;
        foreach (var (flag, value) in flags)
            Apply(flag, value, settings, notes);
        if (!settings.ContainsKey("Listen:Socket"))
            throw new LegacyCommandLineException("-p socketspec is required (sid-filter would not start without it either)");
        return new LegacyTranslation(settings, notes) { Foreground = flags.Any(f => f.Flag == 'f') };
    }

    private static void Apply(char flag, string? value, Dictionary<string, string?> s, List<string> notes)
    {
        switch (flag)
        {
            case 'a': s["SenderId:PeerListFile"] = value; break;
            case 'A':
                throw new LegacyCommandLineException("-A (restart on failure) is not supported: let the service manager restart milters (systemd Restart=on-failure)", noEquivalent: true);
            case 'B': s["SenderId:BestGuess"] = "true"; break;
            case 'c': s["SenderId:RejectMissingPra"] = "false"; break;
            case 'C':
            case 'R':
                throw new LegacyCommandLineException($"-{flag} (Cloudmark Rating) is not supported: the Cloudmark engine is not available", noEquivalent: true);
            case 'd': s["SenderId:IgnoredDomains"] = string.Join(',', value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
            case 'D': s["SenderId:SoftFailDnsErrors"] = "true"; break;
            case 'f': notes.Add("-f: stay in the foreground (`milters sid-filter` without it goes into the background as sid-filter did; `milters` itself never does)"); break;
            case 'h': s["SenderId:AddFilterHeader"] = "true"; break;
            case 'H':
                s["SenderId:HostName"] = value;
                s["AuthResults:AuthservId"] = value; // sid-filter used it in its Authentication-Results header too
                break;
            // The old program's name in the mail log, so the administrator's greps and log watchers still find it.
            case 'l': s["Logging:Syslog"] = "true"; s["Logging:SyslogIdentity"] = "sid-filter"; break;
            case 'L':
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var level))
                    throw new LegacyCommandLineException($"-L \"{value}\" is not a number");
                // libmarid's debug logging: the evaluator's decisions at Debug level.
                s["Logging:LogLevel:Milters.SenderId"] = level > 0 ? "Debug" : "Information";
                break;
            case 'M': s["SenderId:RejectText"] = value; break;
            case 'n': s["SenderId:UseSpf1ForPra"] = "false"; break;
            case 'p': s["Listen:Socket"] = value; break;
            case 'P': s["Hosting:PidFile"] = value; break;
            case 'q': s["SenderId:Quarantine"] = "true"; break;
            case 'Q': s["Logging:LogLevel:Default"] = "Warning"; break;
            case 'r':
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mode) || mode > 5)
                    throw new LegacyCommandLineException($"-r \"{value}\": the rejection mode is 0 to 5");
                s["SenderId:RejectMode"] = mode.ToString(CultureInfo.InvariantCulture);
                break;
            case 't': s["SenderId:TestMode"] = "true"; break;
            case 'T': s["Dns:Timeout"] = LegacyDnsTimeout.Parse(value!); break;
            case 'u': s["Hosting:User"] = value; break;
            default:
                throw new LegacyCommandLineException($"unknown flag -{flag}");
        }
    }
}
