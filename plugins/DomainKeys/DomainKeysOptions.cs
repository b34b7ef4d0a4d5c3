using Milters.DomainKeys.Canonicalization;

namespace Milters.DomainKeys;

/// <summary>
/// The "DomainKeys" configuration section. Each option names the dk-filter 1.0 flag it replaces.
/// Keys themselves live in the host's central key table ("Keys:Table"), not here.
/// </summary>
public sealed class DomainKeysOptions
{
    /// <summary>-b: "s" sign, "v" verify, "sv" both (dk-filter's default).</summary>
    public string Mode { get; set; } = "sv";

    /// <summary>
    /// -c: canonicalization for signatures we make, "simple" or "nofws". dk-filter's default was simple; ours is
    /// nofws because Sendmail folds address fields anew after the milter has signed (a To: or Cc: list that
    /// reaches the line length), which breaks a simple signature at every verifier and not a nofws one.
    /// </summary>
    public string Canonicalization { get; set; } = "nofws";

    /// <summary>
    /// -H: write the h= list of signed header fields. On by default, unlike dk-filter: an MTA adds fields the
    /// milter never sees (Postfix's own Received field sits below a signature inserted at the top), and without
    /// h= a verifier hashes every field below the signature, so the signature would not survive delivery.
    /// False writes h= only when a field is left out.
    /// </summary>
    public bool IncludeHeaderList { get; set; } = true;

    /// <summary>-o: header fields never signed (an h= list is then written).</summary>
    public List<string> OmitHeaders { get; set; } = new();

    /// <summary>
    /// -d: domains whose mail is signed; an entry starting with "/" names a file with one domain per line.
    /// Empty: the domains of the key table.
    /// </summary>
    public List<string> Domains { get; set; } = new();

    /// <summary>-D: also sign mail from subdomains of <see cref="Domains"/>.</summary>
    public bool SubDomains { get; set; }

    /// <summary>
    /// -i: internal hosts whose mail is signed (IP, CIDR, host name, ".domain", "!" to exclude; an entry
    /// starting with "/" is a file of such entries). Default 127.0.0.1 and ::1 when the key is absent.
    /// </summary>
    public List<string> InternalHosts { get; set; } = new();

    /// <summary>-I: external hosts allowed to send as a signing domain without the "external host" warning.</summary>
    public List<string> ExternalHosts { get; set; } = new();

    /// <summary>-a: peers whose connections this plugin leaves alone (neither signs nor verifies).</summary>
    public List<string> PeerHosts { get; set; } = new();

    /// <summary>-m: {daemon_name} values (e.g. "MSA") whose mail is signed.</summary>
    public List<string> SigningDaemons { get; set; } = new();

    /// <summary>-M: "macro" or "macro=value[|value…]": mail is signed when such a macro is set (to a listed value).</summary>
    public List<string> SigningMacros { get; set; } = new();

    /// <summary>-C: what to do with the message per verification outcome.</summary>
    public FailureActions Actions { get; set; } = new();

    /// <summary>-h: add an X-DomainKeys header naming this filter.</summary>
    public bool AddFilterHeader { get; set; }

    /// <summary>Treat a DomainKey-Signature without q= as invalid (RFC 4870's letter; default off like Mail::DKIM).</summary>
    public bool RequireQueryTag { get; set; }

    /// <summary>
    /// At most this many DomainKey-Signature fields are verified per message (the rest are ignored); fields refused
    /// on sight (bad syntax, wrong domain) do not count, and at most this many of them are reported.
    /// </summary>
    public int MaxSignatures { get; set; } = 5;

    /// <summary>Keys shorter than this are not used for signing.</summary>
    public int MinimumKeyBits { get; set; } = 1024;

    internal bool Signs => Mode.Contains('s', StringComparison.OrdinalIgnoreCase);

    internal bool Verifies => Mode.Contains('v', StringComparison.OrdinalIgnoreCase);

    internal CanonicalizationAlgorithm SigningCanonicalization =>
        CanonicalizationNames.TryParse(Canonicalization, out var c)
            ? c
            : throw new InvalidOperationException($"DomainKeys:Canonicalization must be simple or nofws, not \"{Canonicalization}\"");

    internal void Validate()
    {
        if (Mode.Length == 0 || Mode.Any(ch => ch is not ('s' or 'v' or 'S' or 'V')))
            throw new InvalidOperationException($"DomainKeys:Mode must be s, v or sv, not \"{Mode}\"");
        _ = SigningCanonicalization;
        if (MaxSignatures < 1) throw new InvalidOperationException("DomainKeys:MaxSignatures must be at least 1");
    }
}

/// <summary>What happens to a message, per outcome (dk-filter -C result=action).</summary>
public enum FailureAction
{
    /// <summary>Deliver (the chain goes on).</summary>
    Accept,
    /// <summary>Accept and throw away (SMFIR_DISCARD).</summary>
    Discard,
    /// <summary>5xx (SMFIR_REPLYCODE).</summary>
    Reject,
    /// <summary>4xx: the sender retries (SMFIR_REPLYCODE).</summary>
    TempFail,
    /// <summary>Deliver into the MTA's quarantine (SMFIR_QUARANTINE).</summary>
    Quarantine,
}

/// <summary>dk-filter's -C settings with its defaults: bad signature and no signature accepted, DNS and internal errors tempfailed.</summary>
public sealed class FailureActions
{
    /// <summary>-C badsignature (bad): the signature did not verify, or could not be used (revoked, no key, malformed).</summary>
    public FailureAction BadSignature { get; set; } = FailureAction.Accept;

    /// <summary>-C nosignature (no): the message carries no DomainKey-Signature.</summary>
    public FailureAction NoSignature { get; set; } = FailureAction.Accept;

    /// <summary>-C dnserror (dns): the key could not be retrieved for now (SERVFAIL, timeout).</summary>
    public FailureAction DnsError { get; set; } = FailureAction.TempFail;

    /// <summary>-C internal (int): signing or verifying broke on our side.</summary>
    public FailureAction InternalError { get; set; } = FailureAction.TempFail;
}
