using Milters.LoadGen.Protocol;

namespace Milters.LoadGen.Client;

/// <summary>
/// What the filter answered to SMFIC_OPTNEG, read the way an MTA must: a step it marked NO* is not
/// sent at all, a step it marked NR_* is sent without waiting for a reply.
/// </summary>
internal sealed class Negotiated
{
    public required uint Version { get; init; }
    public required uint Actions { get; init; }
    public required ProtocolFlags Protocol { get; init; }

    /// <summary>Macro names the filter asked for per stage (SMFIR_SETSYMLIST lists), or none.</summary>
    public required IReadOnlyDictionary<MacroStage, HashSet<string>> MacroLists { get; init; }

    public bool Has(ProtocolFlags flag) => (Protocol & flag) == flag;

    public bool Sends(byte command) => command switch
    {
        MilterCommand.Connect => !Has(ProtocolFlags.NoConnect),
        MilterCommand.Helo => !Has(ProtocolFlags.NoHelo),
        MilterCommand.Mail => !Has(ProtocolFlags.NoMail),
        MilterCommand.Rcpt => !Has(ProtocolFlags.NoRcpt),
        MilterCommand.Data => Version >= 4 && !Has(ProtocolFlags.NoData),
        MilterCommand.Header => !Has(ProtocolFlags.NoHdrs),
        MilterCommand.Eoh => !Has(ProtocolFlags.NoEoh),
        MilterCommand.Body => !Has(ProtocolFlags.NoBody),
        _ => true,
    };

    public bool AwaitsReply(byte command) => command switch
    {
        MilterCommand.Connect => !Has(ProtocolFlags.NrConn),
        MilterCommand.Helo => !Has(ProtocolFlags.NrHelo),
        MilterCommand.Mail => !Has(ProtocolFlags.NrMail),
        MilterCommand.Rcpt => !Has(ProtocolFlags.NrRcpt),
        MilterCommand.Data => !Has(ProtocolFlags.NrData),
        MilterCommand.Header => !Has(ProtocolFlags.NrHdr),
        MilterCommand.Eoh => !Has(ProtocolFlags.NrEoh),
        MilterCommand.Body => !Has(ProtocolFlags.NrBody),
        MilterCommand.Macro or MilterCommand.Abort or MilterCommand.Quit => false,
        _ => true,
    };

    /// <summary>Whether to send macro <paramref name="name"/> at <paramref name="stage"/>.</summary>
    public bool Wants(MacroStage stage, string name) =>
        !MacroLists.TryGetValue(stage, out var list) || list.Contains(name);
}
