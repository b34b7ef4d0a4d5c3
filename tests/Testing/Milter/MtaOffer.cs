namespace Milters.Testing.Milter;

/// <summary>
/// What an MTA offers in SMFIC_OPTNEG: protocol version, actions (SMFIF_*), protocol flags (SMFIP_*),
/// plus how it formats data it sends. Use the presets to talk like a given MTA.
/// </summary>
public sealed record MtaOffer(uint Version, uint Actions, uint Protocol)
{
    /// <summary>Postfix 3.x: version 6, all actions 0x1ff, protocol flags 0x1fffff (as captured from Postfix).</summary>
    public static readonly MtaOffer Postfix = new(6, 0x1ff, 0x1fffff) { Name = "Postfix" };

    /// <summary>
    /// Sendmail 8.17: version 6, SMFI_CURR_ACTS 0x1ff, SMFI_CURR_PROT 0x1fffff (what the Debian build
    /// offers), here plus SMFIP_MDS_256K as it offers when Milter.maxdatasize is raised, so the bit a filter
    /// must not take blindly is exercised. Unlike Postfix it treats any requested bit it did not offer as a
    /// fatal negotiation error, strips one leading space from header values without SMFIP_HDR_LEADSPC and
    /// folds header values with a bare LF.
    /// </summary>
    public static readonly MtaOffer Sendmail = new(6, 0x1ff, 0x1fffff | 0x10000000)
    {
        Name = "Sendmail",
        HeaderLineBreak = "\n",
    };

    /// <summary>An old MTA speaking protocol version 2 (Sendmail 8.13): actions 0x3f, protocol 0x7f.</summary>
    public static readonly MtaOffer Version2 = new(2, 0x3f, 0x7f) { Name = "v2" };

    /// <summary>A thin MTA: version 6, may only add headers, no NR/SKIP/LEADSPC bits.</summary>
    public static readonly MtaOffer AddHeadersOnly = new(6, 0x01, 0x7f) { Name = "add-headers-only" };

    public string Name { get; init; } = "custom";

    /// <summary>Line break used inside folded header values sent to the filter ("\r\n" or "\n").</summary>
    public string HeaderLineBreak { get; init; } = "\r\n";

    public override string ToString() => $"{Name} (v{Version}, actions 0x{Actions:x}, protocol 0x{Protocol:x})";
}
