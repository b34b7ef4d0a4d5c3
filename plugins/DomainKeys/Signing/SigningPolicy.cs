using System.Net;
using Milters.Abstractions;
using Milters.DomainKeys.Verifying;

namespace Milters.DomainKeys.Signing;

/// <summary>What the plugin does with one message.</summary>
internal enum MessageRole
{
    /// <summary>Neither sign nor verify (peer connection, or the mode has nothing to do).</summary>
    Ignore,
    Sign,
    Verify,
}

/// <summary>The decision for one message and why (for the log).</summary>
internal sealed record SigningDecision(MessageRole Role, SendingAddress? Address, string Why, bool ExternalSendingAsOurs = false);

/// <summary>
/// dk-filter's sign-or-verify rules. The signing address is Sender, else From; its domain (or a parent,
/// with subdomain signing) must be a signing domain; and the origin must be trusted: an internal host, an
/// SMTP AUTH session ({auth_type}/{auth_authen}), a listed {daemon_name}, or a listed macro. A message that
/// already carries a DomainKey-Signature is never signed again. Everything else is verified (mode permitting).
/// </summary>
internal sealed class SigningPolicy
{
    private static readonly string[] DefaultInternalHosts = ["127.0.0.1", "::1"];

    private readonly DomainKeysOptions options;
    private readonly HostList internalHosts;
    private readonly HostList externalHosts;
    private readonly HostList peers;
    private readonly HashSet<string> signingDomains;
    private readonly List<(string Name, string[]? Values)> macros;

    /// <param name="internalHostsConfigured">False when the configuration has no InternalHosts key: the default applies.</param>
    public SigningPolicy(DomainKeysOptions options, IEnumerable<string> keyTableDomains, bool internalHostsConfigured = true)
    {
        this.options = options;
        internalHosts = new HostList(internalHostsConfigured ? options.InternalHosts : DefaultInternalHosts, nameof(options.InternalHosts));
        externalHosts = new HostList(options.ExternalHosts, nameof(options.ExternalHosts));
        peers = new HostList(options.PeerHosts, nameof(options.PeerHosts));
        signingDomains = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in options.Domains.Count > 0 ? ExpandDomains(options.Domains) : keyTableDomains)
            signingDomains.Add(d.Trim().TrimEnd('.'));
        macros = options.SigningMacros
            .SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(ParseMacro)
            .ToList();
    }

    private SigningPolicy(SigningPolicy lists, IEnumerable<string> keyTableDomains)
    {
        options = lists.options;
        internalHosts = lists.internalHosts;
        externalHosts = lists.externalHosts;
        peers = lists.peers;
        macros = lists.macros;
        signingDomains = options.Domains.Count > 0
            ? lists.signingDomains
            : new HashSet<string>(keyTableDomains.Select(d => d.Trim().TrimEnd('.')), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The same lists (read once, when the configuration was: with `-u` the files may be root's, and the process no
    /// longer is when the first connection comes), signing for the key table's domains unless Domains names them.
    /// </summary>
    public SigningPolicy WithKeyTableDomains(IEnumerable<string> keyTableDomains) => new(this, keyTableDomains);

    public IReadOnlyCollection<string> SigningDomains => signingDomains;

    public bool IsPeer(ConnectionInfo connection) => !peers.IsEmpty && peers.Contains(connection);

    public SigningDecision Decide(ConnectionInfo connection, IMacros macroValues, IReadOnlyList<HeaderField> headers)
    {
        if (IsPeer(connection)) return new(MessageRole.Ignore, null, "peer host");

        var verifyOrIgnore = options.Verifies ? MessageRole.Verify : MessageRole.Ignore;
        var address = SendingAddress.Find(headers);
        if (!options.Signs) return new(verifyOrIgnore, address, "verify-only mode");
        if (address is null) return new(verifyOrIgnore, null, "no Sender or From address");
        if (!IsSigningDomain(address.Domain)) return new(verifyOrIgnore, address, $"{address.Domain} is not a signing domain");
        if (headers.Any(h => h.Is(DomainKeySignature.HeaderName)))
            return new(verifyOrIgnore, address, "already carries a DomainKey-Signature");
        var origin = Origin(connection);
        if (TrustedOrigin(origin, macroValues) is { } why) return new(MessageRole.Sign, address, why);
        return new(verifyOrIgnore, address, "origin not trusted for signing", !externalHosts.Contains(origin));
    }

    /// <summary>
    /// The client as the host lists see it. A connection the MTA gives no address for — Sendmail's SMTP on standard
    /// input (`sendmail -bs`, `-Am -bs`), reported as family "unknown" — is this host, 127.0.0.1, as dk-filter and
    /// OpenDKIM take it: a client over the network always has an address. Without it such local mail was never
    /// signed, and logged as an external host sending as our domain (an independent review through real Sendmail).
    /// </summary>
    internal static ConnectionInfo Origin(ConnectionInfo connection) =>
        connection is { Address: null, Family: ClientFamily.Unknown } ? connection with { Address = IPAddress.Loopback } : connection;

    public bool IsSigningDomain(string domain)
    {
        domain = domain.TrimEnd('.');
        if (signingDomains.Contains(domain)) return true;
        if (!options.SubDomains) return false;
        foreach (var d in signingDomains)
            if (DomainNames.IsSameOrSubdomain(domain, d)) return true;
        return false;
    }

    /// <summary>Why the origin may have its mail signed, or null.</summary>
    public string? TrustedOrigin(ConnectionInfo connection, IMacros macroValues)
    {
        if (internalHosts.Contains(connection)) return "internal host";
        if (!string.IsNullOrEmpty(macroValues.Get("auth_authen")) || !string.IsNullOrEmpty(macroValues.Get("auth_type")))
            return "authenticated";
        var daemon = macroValues.Get("daemon_name");
        if (daemon is not null && options.SigningDaemons.Any(m => string.Equals(m, daemon, StringComparison.OrdinalIgnoreCase)))
            return $"daemon {daemon}";
        foreach (var (name, values) in macros)
        {
            var value = macroValues.Get(name);
            if (value is null) continue;
            if (values is null || values.Contains(value, StringComparer.Ordinal)) return $"macro {name}";
        }
        return null;
    }

    private static (string, string[]?) ParseMacro(string spec)
    {
        var eq = spec.IndexOf('=');
        if (eq < 0) return (spec.Trim('{', '}'), null);
        return (spec[..eq].Trim().Trim('{', '}'), spec[(eq + 1)..].Split('|'));
    }

    private static IEnumerable<string> ExpandDomains(IEnumerable<string> specs)
    {
        foreach (var spec in specs)
        {
            foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!part.StartsWith('/'))
                {
                    yield return part;
                    continue;
                }
                string[] lines;
                try
                {
                    lines = File.ReadAllLines(part);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new InvalidOperationException($"DomainKeys:Domains: cannot read the domain list {part}: {e.Message}", e);
                }
                foreach (var line in lines)
                {
                    var d = line.Split('#')[0].Trim();
                    if (d.Length > 0) yield return d;
                }
            }
        }
    }
}
