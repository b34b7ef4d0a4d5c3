using System.Globalization;
using System.Net;

namespace Milters.Host.Compat;

/// <summary>
/// dk-filter's command line (dk-filter.8, dk-milter 1.0) as configuration keys, for `milters dk-filter …`.
/// Every flag of the man page is mapped or refused with the reason; getopt clusters ("-lf",
/// "-pinet:8892@localhost") work as they did. Keys go to the host's central key table (Keys:Table), the
/// rest to the DomainKeys section. dk-filter wrote its Authentication-Results header itself; here the
/// DomainKeys plugin records results and the AuthResults plugin writes the header: order [DomainKeys, AuthResults].
/// </summary>
public sealed class DkFilterCommandLine : ILegacyCommandLine
{
    public string Tool => "dk-filter";

    public string OptionString => Flags;

    public string VersionDetails => "DomainKeys (RFC 4870): signing algorithm rsa-sha1; canonicalizations simple, nofws";

    // getopt string of dk-filter 1.0: flags followed by ':' take a value.
    private const string Flags = "a:Ab:c:C:d:DfhHi:I:klm:M:o:p:P:qRs:S:T:u:U:V";

    /// <summary>Set by both old command lines for the two-process setup; `migrate` (one process) leaves it out.</summary>
    public const string SiblingMethodsKey = "AuthResults:SiblingMethods";

    private static readonly string[] KeyFileExtensions = [".pem", ".key", ".private"];

    public LegacyTranslation Translate(IReadOnlyList<string> args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Plugins:Order"] = "DomainKeys,AuthResults",
            // Run next to `milters sid-filter`, each process writes its own header under the same authserv-id;
            // the other's is not a forgery (AuthResults:SiblingMethods).
            [SiblingMethodsKey] = "sender-id,spf,auth",
        };
        var notes = new List<string>();
        var line = new Parsed();
        var flags = GetOpt.Parse(args, Flags, "dk-filter").ToList();
        if (flags.Any(f => f.Flag == 'V')) return LegacyTranslation.VersionOnly;
        foreach (var (flag, value) in flags)
            Apply(flag, value, settings, notes, line);
        Finish(settings, notes, line);
        // dk-filter would not start without a socket ("milter socket must be specified"); neither does this.
        if (!settings.ContainsKey("Listen:Socket"))
            throw new LegacyCommandLineException("-p socketspec is required (dk-filter would not start without it either)");
        return new LegacyTranslation(settings, notes) { Foreground = flags.Any(f => f.Flag == 'f') };
    }

    /// <summary>Flags that only mean something together (-s, -S, -k, -d, -D, -b, -q, -C bad=).</summary>
    private sealed class Parsed
    {
        public string? KeyFile;
        public string? Selector;
        public bool KeyList;
        public List<string> Domains = new();
        public bool SubDomains;
        public string Mode = "sv";
        public bool Quarantine;
        public bool BadActionSet;
    }

    private static void Apply(char flag, string? value, Dictionary<string, string?> s, List<string> notes, Parsed p)
    {
        switch (flag)
        {
            case 'a': AddHosts(s, "DomainKeys:PeerHosts", value!); break;
            case 'A':
                throw new LegacyCommandLineException("-A (restart on failure) is not supported: let the service manager restart milters (systemd Restart=on-failure)", noEquivalent: true);
            case 'b':
                if (value!.Length == 0 || value.Any(c => c is not ('s' or 'v')))
                    throw new LegacyCommandLineException($"-b \"{value}\": modes are s (sign) and v (verify)");
                p.Mode = value;
                s["DomainKeys:Mode"] = value;
                break;
            case 'c':
                if (value is not ("simple" or "nofws"))
                    throw new LegacyCommandLineException($"-c \"{value}\": the canonicalizations are simple and nofws");
                s["DomainKeys:Canonicalization"] = value;
                break;
            case 'C': ApplyActions(value!, s, p); break;
            case 'd':
                foreach (var d in value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (d.StartsWith('/'))
                    {
                        if (!File.Exists(d)) throw new LegacyCommandLineException($"-d {d}: no such file");
                        p.Domains.AddRange(File.ReadAllLines(d).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0));
                    }
                    else p.Domains.Add(d);
                }
                break;
            case 'D': p.SubDomains = true; s["DomainKeys:SubDomains"] = "true"; break;
            case 'f': notes.Add("-f: stay in the foreground (`milters dk-filter` without it goes into the background as dk-filter did; `milters` itself never does)"); break;
            case 'h': s["DomainKeys:AddFilterHeader"] = "true"; break;
            case 'H': s["DomainKeys:IncludeHeaderList"] = "true"; break;
            case 'i': AddHosts(s, "DomainKeys:InternalHosts", value!); break;
            case 'I': AddHosts(s, "DomainKeys:ExternalHosts", value!); break;
            case 'k': p.KeyList = true; break;
            // The old program's name in the mail log, so the administrator's greps and log watchers still find it.
            case 'l': s["Logging:Syslog"] = "true"; s["Logging:SyslogIdentity"] = "dk-filter"; break;
            case 'm': AddList(s, "DomainKeys:SigningDaemons", value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
            case 'M': AddList(s, "DomainKeys:SigningMacros", value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
            case 'o': AddList(s, "DomainKeys:OmitHeaders", value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
            case 'p': s["Listen:Socket"] = value; break;
            case 'P': s["Hosting:PidFile"] = value; break;
            case 'q': p.Quarantine = true; break;
            case 'R':
                throw new LegacyCommandLineException("-R (failure reports to the signer's policy address) is not supported: DomainKeys reporting was never standardised (RFC 4870 has none)", noEquivalent: true);
            case 's': p.KeyFile = value; break;
            case 'S': p.Selector = value; break;
            case 'T': s["Dns:Timeout"] = LegacyDnsTimeout.Parse(value!); break;
            case 'u': s["Hosting:User"] = value; break;
            case 'U':
                throw new LegacyCommandLineException("-U (POP-before-SMTP database) is not supported: use SMTP AUTH ({auth_authen}) or -i/-m to mark trusted senders", noEquivalent: true);
            default:
                throw new LegacyCommandLineException($"unknown flag -{flag}");
        }
    }

    // -C result=action[,...]: results and actions by full name or dk-filter's abbreviation.
    private static void ApplyActions(string value, Dictionary<string, string?> s, Parsed p)
    {
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = item.IndexOf('=');
            if (eq < 0) throw new LegacyCommandLineException($"-C \"{item}\": expected result=action");
            var result = item[..eq].Trim().ToLowerInvariant() switch
            {
                "badsignature" or "bad" => "BadSignature",
                "dnserror" or "dns" => "DnsError",
                "internal" or "int" => "InternalError",
                "nosignature" or "no" => "NoSignature",
                var other => throw new LegacyCommandLineException($"-C \"{other}\": results are badsignature (bad), dnserror (dns), internal (int), nosignature (no)"),
            };
            var action = item[(eq + 1)..].Trim().ToLowerInvariant() switch
            {
                "accept" or "a" => "Accept",
                "discard" or "d" => "Discard",
                "quarantine" or "q" => "Quarantine",
                "reject" or "r" => "Reject",
                "tempfail" or "t" => "TempFail",
                var other => throw new LegacyCommandLineException($"-C \"{other}\": actions are accept (a), discard (d), quarantine (q), reject (r), tempfail (t)"),
            };
            s[$"DomainKeys:Actions:{result}"] = action;
            if (result == "BadSignature") p.BadActionSet = true;
            // An exception escaping the plugin is handled by the host's per-plugin OnError, which has no discard/quarantine.
            if (result == "InternalError" && action is "Accept" or "Reject" or "TempFail")
                s["DomainKeys:OnError"] = action == "Accept" ? "Continue" : action;
        }
    }

    private static void Finish(Dictionary<string, string?> s, List<string> notes, Parsed p)
    {
        // -q: "messages which fail verification are quarantined"; an explicit -C bad= wins.
        if (p.Quarantine && !p.BadActionSet) s["DomainKeys:Actions:BadSignature"] = "Quarantine";

        var entries = new List<(string Domain, string Selector, string KeyFile, string[] Senders)>();
        if (p.KeyList)
        {
            if (p.KeyFile is null) throw new LegacyCommandLineException("-k needs -s naming the key list file");
            if (p.Selector is not null) notes.Add("-S: with -k each key's selector is its file name; -S is not used");
            entries.AddRange(ReadKeyList(p.KeyFile));
            // dk-filter signed once, with the first line of the key list that matched the sender.
            s["Keys:MultipleSignatures"] = "false";
        }
        else if (p.KeyFile is not null || p.Selector is not null)
        {
            if (p.KeyFile is null) throw new LegacyCommandLineException("-S needs -s naming the private key file");
            if (p.Selector is null) throw new LegacyCommandLineException("-s needs -S naming the selector");
            if (p.Domains.Count == 0) throw new LegacyCommandLineException("-s needs -d naming the domains to sign for");
            var keyFile = Path.GetFullPath(p.KeyFile);
            foreach (var d in p.Domains)
            {
                var senders = p.SubDomains ? new[] { $"*@{d}", $"*@*.{d}" } : new[] { $"*@{d}" };
                entries.Add((d, p.Selector, keyFile, senders));
            }
        }
        else if (p.Mode.Contains('s'))
        {
            if (p.Domains.Count > 0)
                throw new LegacyCommandLineException("-d needs a signing key: -s keyfile -S selector (or -s keylist -k)");
            if (!p.Mode.Contains('v'))
                throw new LegacyCommandLineException("-b s needs a signing key: -s keyfile -S selector (or -s keylist -k)");
            // dk-filter's default mode is sv; without a key it can only verify.
            s["DomainKeys:Mode"] = "v";
            notes.Add("no signing key (-s/-S): verifying only");
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var (domain, selector, keyFile, senders) = entries[i];
            s[$"Keys:Table:{i}:Domain"] = domain;
            s[$"Keys:Table:{i}:Selector"] = selector;
            s[$"Keys:Table:{i}:KeyFile"] = keyFile;
            s[$"Keys:Table:{i}:Senders"] = string.Join(',', senders);
        }
        AddList(s, "DomainKeys:Domains", p.Domains);
    }

    /// <summary>-k key list: "sender-pattern:signing-domain:keypath" per line; the selector is the key file's name.</summary>
    private static IEnumerable<(string, string, string, string[])> ReadKeyList(string path)
    {
        if (!File.Exists(path)) throw new LegacyCommandLineException($"-s {path}: key list file not found");
        var n = 0;
        foreach (var raw in File.ReadAllLines(path))
        {
            n++;
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0) continue;
            var parts = line.Split(':', 3);
            if (parts.Length != 3 || parts.Any(x => x.Trim().Length == 0))
                throw new LegacyCommandLineException($"-s {path} line {n}: expected sender-pattern:signing-domain:keypath");
            var keyPath = Path.GetFullPath(parts[2].Trim(), Path.GetDirectoryName(Path.GetFullPath(path))!);
            yield return (parts[1].Trim(), SelectorOf(keyPath), keyPath, [parts[0].Trim()]);
        }
    }

    /// <summary>The key file's name, without a key-file extension (".pem", ".key", ".private"), is the selector.</summary>
    internal static string SelectorOf(string keyPath)
    {
        var name = Path.GetFileName(keyPath);
        bool stripped;
        do
        {
            stripped = false;
            foreach (var ext in KeyFileExtensions)
            {
                if (name.Length > ext.Length && name.EndsWith(ext, StringComparison.OrdinalIgnoreCase))
                {
                    name = name[..^ext.Length];
                    stripped = true;
                }
            }
        } while (stripped);
        return name;
    }

    // -a, -i, -I name a file of hosts in dk-filter; a comma list of addresses is taken too.
    private static void AddHosts(Dictionary<string, string?> s, string key, string value)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var looksLikeList = value.Contains(',') || items.All(x => IPNetwork.TryParse(x.TrimStart('!'), out _) || IPAddress.TryParse(x.TrimStart('!'), out _));
        if (!looksLikeList)
        {
            var file = Path.GetFullPath(value);
            if (!File.Exists(file)) throw new LegacyCommandLineException($"{FlagOf(key)} {value}: no such file");
            items = [file];
        }
        AddList(s, key, items);
    }

    private static string FlagOf(string key) => key switch
    {
        "DomainKeys:PeerHosts" => "-a",
        "DomainKeys:InternalHosts" => "-i",
        _ => "-I",
    };

    // Lists as one comma-separated value: it replaces a list from the configuration file instead of merging into it.
    private static void AddList(Dictionary<string, string?> s, string key, IEnumerable<string> items)
    {
        var all = (s.TryGetValue(key, out var existing) && existing is not null ? existing.Split(',') : []).Concat(items).ToList();
        if (all.Count > 0) s[key] = string.Join(',', all);
    }
}
