using Milters.Abstractions;
using Milters.Host.Milter.Negotiation;
using Milters.Host.Milter.Protocol;
using F = Milters.Host.Milter.Protocol.MilterProtocolFlags;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// <see cref="PluginNeeds.ObserveOnlyHeaders"/>: only the header stage may go without replies (SMFIP_NR_HDR);
/// the plugin's other stages keep theirs, and one plugin that answers headers keeps them for all.
/// </summary>
public class ObserveOnlyHeadersNegotiationTests
{
    // Postfix 3.x: all SMFIF_* actions, every SMFIP_* bit up to SMFIP_HDR_LEADSPC.
    private static readonly OptionNegotiation Postfix = new(6, (MilterActions)0x1ff, (F)0x1fffff);

    private const PluginNeeds SenderIdLike = PluginNeeds.Connect | PluginNeeds.MailFrom | PluginNeeds.Headers
        | PluginNeeds.EndOfHeaders | PluginNeeds.AddHeaders;

    [Fact]
    public void Headers_only_observer_gets_NR_HDR_and_keeps_replies_for_its_other_stages()
    {
        var n = Negotiator.Negotiate(Postfix, [SenderIdLike | PluginNeeds.ObserveOnlyHeaders]);

        Assert.True(n.Has(F.NoReplyHeader));
        Assert.True(n.IsNoReply(MilterCommand.Header));
        Assert.False(n.Has(F.NoReplyConnect));
        Assert.False(n.Has(F.NoReplyMail));
        Assert.False(n.Has(F.NoReplyEndOfHeaders));
        Assert.False(n.IsNoReply(MilterCommand.Connect));
        Assert.False(n.IsNoReply(MilterCommand.Mail));
        Assert.False(n.IsNoReply(MilterCommand.EndOfHeaders));
        // Its stages are still sent; only the ones nobody needs are left out.
        Assert.False(n.Has(F.NoConnect) || n.Has(F.NoMail) || n.Has(F.NoHeaders) || n.Has(F.NoEndOfHeaders));
        Assert.True(n.Has(F.NoHelo | F.NoRecipient | F.NoData | F.NoBody | F.NoUnknown));
        Assert.Equal(0u, (uint)n.Protocol & ~(uint)Postfix.Protocol);
    }

    [Fact]
    public void The_flag_is_about_headers_only_a_stage_without_headers_is_unaffected()
    {
        var without = Negotiator.Negotiate(Postfix, [SenderIdLike]);
        var with = Negotiator.Negotiate(Postfix, [SenderIdLike | PluginNeeds.ObserveOnlyHeaders]);

        Assert.False(without.Has(F.NoReplyHeader));
        Assert.Equal((uint)without.Protocol | (uint)F.NoReplyHeader, (uint)with.Protocol);
        Assert.Equal(without.Actions, with.Actions);
    }

    [Fact]
    public void A_second_plugin_that_answers_headers_keeps_header_replies()
    {
        var n = Negotiator.Negotiate(Postfix,
            [SenderIdLike | PluginNeeds.ObserveOnlyHeaders, PluginNeeds.Headers | PluginNeeds.AddHeaders]);

        Assert.False(n.Has(F.NoReplyHeader));
        Assert.False(n.IsNoReply(MilterCommand.Header));
        Assert.False(n.Has(F.NoReplyConnect));
        Assert.False(n.Has(F.NoReplyMail));
        Assert.False(n.Has(F.NoReplyEndOfHeaders));
    }

    [Fact]
    public void Two_headers_only_observers_together_still_get_NR_HDR()
    {
        var n = Negotiator.Negotiate(Postfix,
            [SenderIdLike | PluginNeeds.ObserveOnlyHeaders, PluginNeeds.Headers | PluginNeeds.ObserveOnlyHeaders]);

        Assert.True(n.Has(F.NoReplyHeader));
        Assert.False(n.Has(F.NoReplyConnect));
        Assert.False(n.Has(F.NoReplyMail));
        Assert.False(n.Has(F.NoReplyEndOfHeaders));
    }

    [Fact]
    public void Headers_only_observer_beside_a_whole_observer_gets_NR_HDR_but_not_the_answering_stages()
    {
        // The whole observer lets Connect go without replies only if nobody else answers Connect.
        var n = Negotiator.Negotiate(Postfix,
            [SenderIdLike | PluginNeeds.ObserveOnlyHeaders, PluginNeeds.Connect | PluginNeeds.Headers | PluginNeeds.ObserveOnly]);

        Assert.True(n.Has(F.NoReplyHeader));
        Assert.False(n.Has(F.NoReplyConnect));
    }

    [Fact]
    public void Whole_observer_gets_NR_for_every_stage_it_needs()
    {
        var n = Negotiator.Negotiate(Postfix, [SenderIdLike | PluginNeeds.ObserveOnly]);

        Assert.True(n.Has(F.NoReplyConnect | F.NoReplyMail | F.NoReplyHeader | F.NoReplyEndOfHeaders));
        foreach (var c in new[] { MilterCommand.Connect, MilterCommand.Mail, MilterCommand.Header, MilterCommand.EndOfHeaders })
            Assert.True(n.IsNoReply(c), c.ToString());
        // Stages nobody needs are omitted rather than made no-reply.
        Assert.True(n.Has(F.NoHelo | F.NoRecipient | F.NoData | F.NoBody | F.NoUnknown));
        Assert.Equal(0u, (uint)n.Protocol & ~(uint)Postfix.Protocol);
    }

    [Fact]
    public void NR_HDR_is_not_requested_when_the_MTA_did_not_offer_it()
    {
        var offer = new OptionNegotiation(6, (MilterActions)0x1ff, (F)0x1fffff & ~F.NoReplyHeader);
        var n = Negotiator.Negotiate(offer, [SenderIdLike | PluginNeeds.ObserveOnlyHeaders]);

        Assert.False(n.Has(F.NoReplyHeader));
        Assert.Equal(0u, (uint)n.Protocol & ~(uint)offer.Protocol);
    }
}
