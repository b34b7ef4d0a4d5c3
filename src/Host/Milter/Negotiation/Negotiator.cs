using Milters.Abstractions;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Milter.Negotiation;

/// <summary>
/// Answers SMFIC_OPTNEG from what the plugins need and what the MTA offers. We request only bits the MTA
/// offered: Sendmail treats any other bit as a fatal negotiation error.
/// </summary>
public static class Negotiator
{
    /// <summary>Each stage: the plugin need, the SMFIP_NO* bit that leaves it out, the SMFIP_NR_* bit that skips its reply.</summary>
    private static readonly (PluginNeeds Need, MilterProtocolFlags Omit, MilterProtocolFlags NoReply)[] Stages =
    [
        (PluginNeeds.Connect, MilterProtocolFlags.NoConnect, MilterProtocolFlags.NoReplyConnect),
        (PluginNeeds.Helo, MilterProtocolFlags.NoHelo, MilterProtocolFlags.NoReplyHelo),
        (PluginNeeds.MailFrom, MilterProtocolFlags.NoMail, MilterProtocolFlags.NoReplyMail),
        (PluginNeeds.Recipients, MilterProtocolFlags.NoRecipient, MilterProtocolFlags.NoReplyRecipient),
        (PluginNeeds.Data, MilterProtocolFlags.NoData, MilterProtocolFlags.NoReplyData),
        (PluginNeeds.Headers, MilterProtocolFlags.NoHeaders, MilterProtocolFlags.NoReplyHeader),
        (PluginNeeds.EndOfHeaders, MilterProtocolFlags.NoEndOfHeaders, MilterProtocolFlags.NoReplyEndOfHeaders),
        (PluginNeeds.Body, MilterProtocolFlags.NoBody, MilterProtocolFlags.NoReplyBody),
        (PluginNeeds.Unknown, MilterProtocolFlags.NoUnknown, MilterProtocolFlags.NoReplyUnknown),
    ];

    /// <summary>SMFI_V1_ACTS: add headers, change the body, add and delete recipients.</summary>
    public const MilterActions Version1Actions = MilterActions.AddHeaders | MilterActions.ChangeBody | MilterActions.AddRecipients | MilterActions.DeleteRecipients;

    /// <summary>SMFI_V1_PROT: SMFIP_NOCONNECT … SMFIP_NOHDRS.</summary>
    public const MilterProtocolFlags Version1Protocol = MilterProtocolFlags.NoConnect | MilterProtocolFlags.NoHelo | MilterProtocolFlags.NoMail
        | MilterProtocolFlags.NoRecipient | MilterProtocolFlags.NoBody | MilterProtocolFlags.NoHeaders;

    /// <param name="offer">The MTA's SMFIC_OPTNEG.</param>
    /// <param name="pluginNeeds">Each loaded plugin's needs, in chain order.</param>
    public static NegotiatedProtocol Negotiate(OptionNegotiation offer, IReadOnlyList<PluginNeeds> pluginNeeds)
    {
        // An MTA that sends no flags at all is an old one: libmilter reads zero as the version 1 defaults
        // (SMFI_V1_ACTS, SMFI_V1_PROT), so header edits are not silently dropped.
        if (offer.Actions == MilterActions.None) offer = offer with { Actions = Version1Actions };
        if (offer.Protocol == MilterProtocolFlags.None) offer = offer with { Protocol = Version1Protocol };
        var offered = offer.Protocol;
        var requested = MilterProtocolFlags.None;
        bool bodyReplied = false;
        foreach (var (need, omit, noReply) in Stages)
        {
            bool needed = false, replyNeeded = false;
            foreach (var n in pluginNeeds)
            {
                if ((n & need) == 0) continue;
                needed = true;
                if ((n & PluginNeeds.ObserveOnly) == 0
                    && !(need == PluginNeeds.Headers && (n & PluginNeeds.ObserveOnlyHeaders) != 0)) replyNeeded = true;
            }

            if (!needed)
            {
                // Nobody listens: leave the stage out, or at least do not make the MTA wait for us.
                if ((offered & omit) != 0) requested |= omit;
                else if ((offered & noReply) != 0) requested |= noReply;
            }
            else if (!replyNeeded && (offered & noReply) != 0)
            {
                requested |= noReply;
            }
            else if (need == PluginNeeds.Body)
            {
                bodyReplied = true;
            }
        }

        // Header bytes exactly as in the message ("simple" canonicalization needs the leading space).
        requested |= offered & MilterProtocolFlags.HeaderLeadingSpace;
        if (bodyReplied) requested |= offered & MilterProtocolFlags.Skip;

        var wanted = ActionsFor(pluginNeeds);
        var granted = wanted & offer.Actions;
        var missing = wanted & ~offer.Actions;
        // SMFIF_ADDRCPT_PAR is a refinement of SMFIF_ADDRCPT: without it recipients are added without
        // ESMTP arguments (warned per message), so only SMFIF_ADDRCPT itself counts as missing.
        missing &= ~MilterActions.AddRecipientsWithArgs;

        var version = Math.Min(offer.Version, MilterLimits.ProtocolVersion);
        return new NegotiatedProtocol(offer, new OptionNegotiation(version, granted, requested), missing);
    }

    public static MilterActions ActionsFor(IReadOnlyList<PluginNeeds> pluginNeeds)
    {
        var all = PluginNeeds.None;
        foreach (var n in pluginNeeds) all |= n;
        var actions = MilterActions.None;
        if ((all & PluginNeeds.AddHeaders) != 0) actions |= MilterActions.AddHeaders;
        if ((all & PluginNeeds.ChangeHeaders) != 0) actions |= MilterActions.ChangeHeaders;
        if ((all & PluginNeeds.ChangeBody) != 0) actions |= MilterActions.ChangeBody;
        if ((all & PluginNeeds.AddRecipients) != 0) actions |= MilterActions.AddRecipients | MilterActions.AddRecipientsWithArgs;
        if ((all & PluginNeeds.DeleteRecipients) != 0) actions |= MilterActions.DeleteRecipients;
        if ((all & PluginNeeds.Quarantine) != 0) actions |= MilterActions.Quarantine;
        if ((all & PluginNeeds.ChangeFrom) != 0) actions |= MilterActions.ChangeFrom;
        return actions;
    }
}
