using System.Globalization;
using Microsoft.Extensions.Configuration;
using Milters.Abstractions;

namespace Milters.SenderId;

/// <summary>
/// The "SenderId" configuration section. Each option names the sid-filter flag it replaces
/// (`milters sid-filter` translates the old command line into these keys).
/// </summary>
public sealed class SenderIdOptions
{
    /// <summary>-r: 0 never reject, 1 both fail, 2 either fails, 3 unless one passes, 4 unless both pass, 5 a fail with no pass.</summary>
    public RejectMode RejectMode { get; set; } = RejectMode.Never;

    /// <summary>-t: never reject or temp-fail; results are still recorded.</summary>
    public bool TestMode { get; set; }

    /// <summary>-q: quarantine messages that would be rejected, instead of rejecting them.</summary>
    public bool Quarantine { get; set; }

    /// <summary>-D: treat DNS errors (temperror) as softfail and deliver, instead of answering 451 4.7.0.</summary>
    public bool SoftFailDnsErrors { get; set; }

    /// <summary>-c inverted: reject (550 5.7.1) a message whose PRA cannot be determined (sid-filter's default). Off: record sender-id=neutral (no PRA found).</summary>
    public bool RejectMissingPra { get; set; }

    /// <summary>-n inverted: use "v=spf1" records for the PRA check when no spf2.0/pra record exists (RFC 4406 §3.4).</summary>
    public bool UseSpf1ForPra { get; set; } = true;

    /// <summary>
    /// The MAIL FROM check in RFC 4406's mfrom scope: an "spf2.0/mfrom" record, where the domain publishes one,
    /// applies before "v=spf1" (RFC 4406 §3.4, as Mail::SPF's mfrom scope). Off: "v=spf1" alone (RFC 7208 §4.5).
    /// </summary>
    public bool UseSpf2ForMailFrom { get; set; } = true;

    /// <summary>-B: apply "v=spf1 a/24 mx/24 ptr ?all" for domains that publish no record.</summary>
    public bool BestGuess { get; set; }

    /// <summary>-d: PRA domains whose mail is not checked at all.</summary>
    public List<string> IgnoredDomains { get; set; } = new();

    /// <summary>-a (contents): clients not checked: IP, CIDR (IPv4/IPv6), host name, ".domain"; "!" excludes; first match wins.</summary>
    public List<string> Peers { get; set; } = new();

    /// <summary>-a: a file with one peer entry per line (as <see cref="Peers"/>; '#' starts a comment).</summary>
    public string? PeerListFile { get; set; }

    /// <summary>-M: SMTP reply text on reject; %a address checked, %e result, %i client IP, %t "Sender-ID" or "SPF", %% a percent sign.</summary>
    public string? RejectText { get; set; }

    /// <summary>Add a Received-SPF header (RFC 7208 §9.1) for the MAIL FROM / HELO check. Off by default.</summary>
    public bool AddReceivedSpf { get; set; }

    /// <summary>-h: add an X-SenderID header naming this filter, the host and the queue id.</summary>
    public bool AddFilterHeader { get; set; }

    /// <summary>-H: the host name used in added headers (Received-SPF receiver, X-SenderID); default the MTA's macro j.</summary>
    public string? HostName { get; set; }

    /// <summary>Also check the HELO identity (RFC 7208 §2.3) and record it as spf … smtp.helo=.</summary>
    public bool CheckHelo { get; set; }

    /// <summary>The explanation used for fail when the domain gives none (RFC 7208 §6.2).</summary>
    public string? DefaultExplanation { get; set; }

    /// <summary>Upper bound for one evaluation (all its DNS queries); past it the result is temperror. Keep below the MTA's milter timeouts.</summary>
    public TimeSpan EvaluationTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Reads and checks the section; a bad value throws naming the key.</summary>
    /// <summary>The keys <see cref="FromConfiguration"/> reads.</summary>
    public static readonly IReadOnlyCollection<string> SettingNames =
    [
        "RejectMode", "TestMode", "Quarantine", "SoftFailDnsErrors", "RejectMissingPra", "UseSpf1ForPra", "UseSpf2ForMailFrom",
        "BestGuess", "AddReceivedSpf", "AddFilterHeader", "CheckHelo", "IgnoredDomains", "Peers", "PeerListFile", "RejectText",
        "HostName", "DefaultExplanation", "EvaluationTimeout",
    ];

    public static SenderIdOptions FromConfiguration(IConfiguration section)
    {
        var o = new SenderIdOptions();
        var rm = section["RejectMode"];
        if (rm is not null)
        {
            if (int.TryParse(rm, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 5) o.RejectMode = (RejectMode)n;
            else if (Enum.TryParse<RejectMode>(rm, ignoreCase: true, out var m) && Enum.IsDefined(m)) o.RejectMode = m;
            else throw new InvalidOperationException($"SenderId:RejectMode \"{rm}\" is not 0-5 or one of {string.Join(", ", Enum.GetNames<RejectMode>())}");
        }
        o.TestMode = Bool(section, "TestMode", o.TestMode);
        // Every key read here is in SettingNames (the host warns about the others).
        o.Quarantine = Bool(section, "Quarantine", o.Quarantine);
        o.SoftFailDnsErrors = Bool(section, "SoftFailDnsErrors", o.SoftFailDnsErrors);
        o.RejectMissingPra = Bool(section, "RejectMissingPra", o.RejectMissingPra);
        o.UseSpf1ForPra = Bool(section, "UseSpf1ForPra", o.UseSpf1ForPra);
        o.UseSpf2ForMailFrom = Bool(section, "UseSpf2ForMailFrom", o.UseSpf2ForMailFrom);
        o.BestGuess = Bool(section, "BestGuess", o.BestGuess);
        o.AddReceivedSpf = Bool(section, "AddReceivedSpf", o.AddReceivedSpf);
        o.AddFilterHeader = Bool(section, "AddFilterHeader", o.AddFilterHeader);
        o.CheckHelo = Bool(section, "CheckHelo", o.CheckHelo);
        o.IgnoredDomains = List(section, "IgnoredDomains");
        o.Peers = List(section, "Peers");
        o.PeerListFile = NullIfEmpty(section["PeerListFile"]);
        o.RejectText = NullIfEmpty(section["RejectText"]);
        o.HostName = NullIfEmpty(section["HostName"]);
        o.DefaultExplanation = NullIfEmpty(section["DefaultExplanation"]);
        var timeout = section["EvaluationTimeout"];
        if (timeout is not null)
        {
            if (!ConfigTime.TryParse(timeout, out var t) || t <= TimeSpan.Zero)
                throw new InvalidOperationException($"SenderId:EvaluationTimeout \"{timeout}\" is not a positive time span (hh:mm:ss)");
            o.EvaluationTimeout = t;
        }
        return o;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static bool Bool(IConfiguration section, string key, bool fallback)
    {
        var v = section[key];
        if (v is null) return fallback;
        if (bool.TryParse(v, out var b)) return b;
        throw new InvalidOperationException($"SenderId:{key} \"{v}\" is not true or false");
    }

    /// <summary>
    /// A list given as an array ("Key:0", "Key:1" …) or as one comma-separated string; the string wins, as
    /// everywhere in the host's configuration (a shorter list on the command line replaces the file's list).
    /// </summary>
    private static List<string> List(IConfiguration section, string key)
    {
        var s = section.GetSection(key);
        if (s.Value is { } single)
            return single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return s.GetChildren()
            .OrderBy(c => int.TryParse(c.Key, out var n) ? n : int.MaxValue)
            .Select(c => c.Value)
            .Where(v => !string.IsNullOrWhiteSpace(v))
            .Select(v => v!.Trim())
            .ToList();
    }
}

/// <summary>sid-filter's -r rejection modes (values as on its command line).</summary>
public enum RejectMode
{
    /// <summary>0: accept all mail.</summary>
    Never = 0,
    /// <summary>1: reject if both Sender ID and SPF report fail.</summary>
    BothFail = 1,
    /// <summary>2: reject if either reports fail.</summary>
    EitherFails = 2,
    /// <summary>3: reject unless either reports pass.</summary>
    UnlessOnePasses = 3,
    /// <summary>4: reject unless both report pass.</summary>
    UnlessBothPass = 4,
    /// <summary>5: reject a fail from either unless the other passed.</summary>
    FailWithoutPass = 5,
}
