using Milters.Abstractions;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Milter.Negotiation;

/// <summary>
/// The outcome of SMFIC_OPTNEG: what we answered (<see cref="Reply"/>), and what plugins wanted that the
/// MTA did not offer (<see cref="MissingActions"/>), so queued edits of that kind are dropped, not sent.
/// </summary>
public sealed record NegotiatedProtocol(OptionNegotiation Offer, OptionNegotiation Reply, MilterActions MissingActions)
{
    public uint Version => Reply.Version;

    public MilterActions Actions => Reply.Actions;

    public MilterProtocolFlags Protocol => Reply.Protocol;

    public bool Has(MilterProtocolFlags flag) => (Reply.Protocol & flag) == flag;

    public bool Has(MilterActions action) => (Reply.Actions & action) == action;

    /// <summary>SMFIP_HDR_LEADSPC: header values keep their leading space both ways.</summary>
    public bool HeaderLeadingSpace => Has(MilterProtocolFlags.HeaderLeadingSpace);

    /// <summary>SMFIP_SKIP: the MTA understands SMFIR_SKIP.</summary>
    public bool CanSkip => Has(MilterProtocolFlags.Skip);

    /// <summary>True when the MTA was asked not to wait for our reply to <paramref name="command"/> (SMFIP_NR_*).</summary>
    public bool IsNoReply(MilterCommand command) => command switch
    {
        MilterCommand.Connect => Has(MilterProtocolFlags.NoReplyConnect),
        MilterCommand.Helo => Has(MilterProtocolFlags.NoReplyHelo),
        MilterCommand.Mail => Has(MilterProtocolFlags.NoReplyMail),
        MilterCommand.Recipient => Has(MilterProtocolFlags.NoReplyRecipient),
        MilterCommand.Data => Has(MilterProtocolFlags.NoReplyData),
        MilterCommand.Header => Has(MilterProtocolFlags.NoReplyHeader),
        MilterCommand.EndOfHeaders => Has(MilterProtocolFlags.NoReplyEndOfHeaders),
        MilterCommand.Body => Has(MilterProtocolFlags.NoReplyBody),
        MilterCommand.Unknown => Has(MilterProtocolFlags.NoReplyUnknown),
        _ => false,
    };

    /// <summary>True when the MTA was asked to leave the stage out (SMFIP_NO*).</summary>
    public bool IsOmitted(MilterCommand command) => command switch
    {
        MilterCommand.Connect => Has(MilterProtocolFlags.NoConnect),
        MilterCommand.Helo => Has(MilterProtocolFlags.NoHelo),
        MilterCommand.Mail => Has(MilterProtocolFlags.NoMail),
        MilterCommand.Recipient => Has(MilterProtocolFlags.NoRecipient),
        MilterCommand.Data => Has(MilterProtocolFlags.NoData),
        MilterCommand.Header => Has(MilterProtocolFlags.NoHeaders),
        MilterCommand.EndOfHeaders => Has(MilterProtocolFlags.NoEndOfHeaders),
        MilterCommand.Body => Has(MilterProtocolFlags.NoBody),
        MilterCommand.Unknown => Has(MilterProtocolFlags.NoUnknown),
        _ => false,
    };

    /// <summary>The SMFIF_* bit a queued edit needs.</summary>
    public static MilterActions ActionFor(MessageEditKind kind) => kind switch
    {
        MessageEditKind.AddHeader or MessageEditKind.InsertHeader => MilterActions.AddHeaders,
        MessageEditKind.ChangeHeader => MilterActions.ChangeHeaders,
        MessageEditKind.AddRecipient => MilterActions.AddRecipients,
        MessageEditKind.DeleteRecipient => MilterActions.DeleteRecipients,
        MessageEditKind.ChangeFrom => MilterActions.ChangeFrom,
        MessageEditKind.ReplaceBody => MilterActions.ChangeBody,
        MessageEditKind.Quarantine => MilterActions.Quarantine,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
