using Microsoft.Extensions.Configuration;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults;

/// <summary>Where our header goes.</summary>
public enum Placement
{
    /// <summary>Above every other header (SMFIR_INSHEADER at index 0): the newest trace information first, as with Received.</summary>
    Top,
    /// <summary>Below the existing headers (SMFIR_ADDHEADER).</summary>
    Bottom,
}

/// <summary>Which existing Authentication-Results headers are removed from mail that is not from an internal host.</summary>
public enum Removal
{
    /// <summary>Those whose authserv-id is ours (RFC 8601 §5): other ADMDs' results stay.</summary>
    Ours,
    /// <summary>All of them.</summary>
    All,
}

/// <summary>The <c>AuthResults</c> configuration section.</summary>
public sealed class AuthResultsOptions
{
    /// <summary>Our authserv-id (RFC 8601 §2.5); null: the MTA's <c>j</c> macro, else the host name.</summary>
    public string? AuthservId { get; init; }

    /// <summary>
    /// Further authserv-ids of our ADMD: headers carrying them are removed as forged too (RFC 8601 §5 speaks
    /// of every host of the ADMD, e.g. the other MX hosts when each uses its own name).
    /// </summary>
    public IReadOnlyList<string> OtherAuthservIds { get; init; } = [];

    /// <summary>Hosts whose mail keeps its Authentication-Results headers (addresses or CIDR networks).</summary>
    public InternalHosts InternalHosts { get; init; } = InternalHosts.Default;

    public Removal Remove { get; init; } = Removal.Ours;

    /// <summary>
    /// Methods another filter of this host writes under the same authserv-id, in a header of its own — the
    /// second process when dk-filter and sid-filter are replaced one for one (docs/MIGRATING.md, way 1). A field
    /// of ours above the MTA's own Received: field that reports only these methods (or "none") is that filter's:
    /// without this, whichever process the MTA calls second deletes the first one's verdict (the MTA shows a filter
    /// the fields an earlier filter added). A forgery from outside comes below the MTA's Received: and still goes,
    /// so one command run alone loses nothing. Empty by default: one process, one header.
    /// </summary>
    public IReadOnlyList<string> SiblingMethods { get; init; } = [];

    public Placement Placement { get; init; } = Placement.Top;

    public ReasonStyle ReasonStyle { get; init; } = ReasonStyle.ReasonSpec;

    /// <summary>
    /// For a plugin whose callback threw while its OnError let the message go on: the methods it would have
    /// evaluated, reported as <c>temperror</c>. Empty by default: only the operator knows that a plugin checks
    /// a method for this mail flow (DomainKeys, for one, signs outgoing mail and then verifies nothing), and
    /// a result we cannot vouch for is not written.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> FailedPluginMethods { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Reads the section by hand instead of through the configuration binder: the binder would be one more
    /// assembly in the plugin folder, and hand reading gives each bad value an error that names its key.
    /// </summary>
    public static AuthResultsOptions FromConfiguration(IConfiguration section)
    {
        var authservId = Nonblank(section["AuthservId"]);
        if (authservId is not null && !IsUsableAuthservId(authservId))
            throw new InvalidOperationException($"AuthResults:AuthservId \"{authservId}\" contains control characters or white space");

        var methods = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var plugin in section.GetSection("FailedPluginMethods").GetChildren())
            methods[plugin.Key] = Methods(plugin, $"AuthResults:FailedPluginMethods:{plugin.Key}");

        var hosts = section.GetSection("InternalHosts");
        return new AuthResultsOptions
        {
            AuthservId = authservId,
            OtherAuthservIds = ListOf(section.GetSection("OtherAuthservIds")),
            InternalHosts = hosts.Exists() ? InternalHosts.Parse(ListOf(hosts), "AuthResults:InternalHosts") : InternalHosts.Default,
            Remove = EnumOf(section, "Remove", Removal.Ours),
            SiblingMethods = Methods(section.GetSection("SiblingMethods"), "AuthResults:SiblingMethods"),
            Placement = EnumOf(section, "Placement", Placement.Top),
            ReasonStyle = EnumOf(section, "ReasonStyle", ReasonStyle.ReasonSpec),
            FailedPluginMethods = methods,
        };
    }

    private static IReadOnlyList<string> Methods(IConfigurationSection section, string where)
    {
        var list = ListOf(section);
        foreach (var m in list)
            if (!Grammar.IsKeyword(m))
                throw new InvalidOperationException($"{where}: \"{m}\" is not a method name (RFC 5321 Keyword)");
        return list;
    }

    /// <summary>An authserv-id we can write: printable, no white space (RFC 8601 §2.5 wants a domain name).</summary>
    internal static bool IsUsableAuthservId(string id)
    {
        foreach (var c in id) if (Grammar.IsControl(c) || char.IsWhiteSpace(c)) return false;
        return id.Length > 0;
    }

    private static string? Nonblank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>A list given as an array (children) or as one comma/space separated string.</summary>
    internal static IReadOnlyList<string> ListOf(IConfigurationSection section)
    {
        var children = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        var items = children.Count > 0 || section.Value is null
            ? children
            : section.Value.Split([',', ' ', '\t'], StringSplitOptions.None).ToList();
        return items.Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
    }

    private static T EnumOf<T>(IConfiguration section, string key, T fallback) where T : struct, Enum
    {
        var text = Nonblank(section[key]);
        if (text is null) return fallback;
        return Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidOperationException($"AuthResults:{key} \"{text}\" is not one of {string.Join(", ", Enum.GetNames<T>())}");
    }
}
