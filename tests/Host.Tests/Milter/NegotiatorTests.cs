using Milters.Abstractions;
using Milters.Host.Milter.Negotiation;
using Milters.Host.Milter.Protocol;
using F = Milters.Host.Milter.Protocol.MilterProtocolFlags;

namespace Milters.Host.Tests.Milter;

public class NegotiatorTests
{
    private static readonly OptionNegotiation Postfix = new(6, (MilterActions)0x1ff, (F)0x1fffff);
    private static readonly OptionNegotiation Sendmail = new(6, (MilterActions)0x1ff, (F)0x1fffff | F.MaxDataSize256K);
    private static readonly OptionNegotiation Version2 = new(2, (MilterActions)0x3f, (F)0x7f);

    private const PluginNeeds Signer = PluginNeeds.Connect | PluginNeeds.MailFrom | PluginNeeds.Headers | PluginNeeds.EndOfHeaders
        | PluginNeeds.Body | PluginNeeds.AddHeaders;

    [Fact]
    public void Postfix_offer_gets_only_what_the_plugins_need()
    {
        var n = Negotiator.Negotiate(Postfix, [Signer, PluginNeeds.Headers | PluginNeeds.AddHeaders | PluginNeeds.ChangeHeaders]);
        Assert.Equal(6u, n.Version);
        Assert.Equal(MilterActions.AddHeaders | MilterActions.ChangeHeaders, n.Actions);
        Assert.True(n.Has(F.NoHelo | F.NoRecipient | F.NoData | F.NoUnknown));
        Assert.False(n.Has(F.NoConnect) || n.Has(F.NoMail) || n.Has(F.NoHeaders) || n.Has(F.NoBody) || n.Has(F.NoEndOfHeaders));
        Assert.True(n.HeaderLeadingSpace);
        Assert.True(n.CanSkip);
        Assert.False(n.IsNoReply(MilterCommand.Header));
        Assert.False(n.IsNoReply(MilterCommand.Body));
        Assert.Equal(MilterActions.None, n.MissingActions);
        Assert.Equal(0u, (uint)n.Protocol & ~(uint)Postfix.Protocol);
    }

    [Fact]
    public void Sendmail_offer_never_gets_a_bit_it_did_not_offer_and_no_bigger_chunks()
    {
        var n = Negotiator.Negotiate(Sendmail, [Signer]);
        Assert.Equal(0u, (uint)n.Protocol & ~(uint)Sendmail.Protocol);
        Assert.Equal(0u, (uint)n.Actions & ~(uint)Sendmail.Actions);
        Assert.False(n.Has(F.MaxDataSize256K));
        Assert.False(n.Has(F.MaxDataSize1M));
    }

    [Fact]
    public void Observe_only_plugins_let_the_MTA_skip_replies()
    {
        var n = Negotiator.Negotiate(Postfix, [PluginNeeds.Headers | PluginNeeds.Body | PluginNeeds.ObserveOnly]);
        Assert.True(n.IsNoReply(MilterCommand.Header));
        Assert.True(n.IsNoReply(MilterCommand.Body));
        Assert.False(n.CanSkip); // nobody can skip when nobody answers body chunks
        Assert.True(n.IsOmitted(MilterCommand.Connect));
    }

    [Fact]
    public void One_plugin_that_answers_keeps_replies_for_its_stages()
    {
        var n = Negotiator.Negotiate(Postfix, [PluginNeeds.Headers | PluginNeeds.ObserveOnly, PluginNeeds.Headers]);
        Assert.False(n.IsNoReply(MilterCommand.Header));
    }

    [Fact]
    public void Version_2_MTA_gets_version_2_and_only_its_bits()
    {
        var n = Negotiator.Negotiate(Version2, [Signer | PluginNeeds.ChangeFrom]);
        Assert.Equal(2u, n.Version);
        Assert.False(n.HeaderLeadingSpace);
        Assert.False(n.CanSkip);
        Assert.Equal(0u, (uint)n.Protocol & ~0x7fu);
        Assert.Equal(MilterActions.ChangeFrom, n.MissingActions);
    }

    /// <summary>libmilter reads an offer of no flags at all as an old MTA's version 1 defaults; header edits stay possible.</summary>
    [Fact]
    public void An_offer_without_flags_is_read_as_version_1_defaults()
    {
        var n = Negotiator.Negotiate(new OptionNegotiation(6, MilterActions.None, F.None), [Signer]);
        Assert.Equal(MilterActions.AddHeaders, n.Actions);
        Assert.Equal(MilterActions.None, n.MissingActions);
        Assert.Equal(0u, (uint)n.Protocol & ~0x3fu);
        Assert.True(n.Has(F.NoHelo | F.NoRecipient));
    }

    [Fact]
    public void An_offer_longer_than_12_bytes_is_read_from_its_first_12()
    {
        var offer = OptionNegotiation.Parse(Convert.FromHexString("00000006000001ff001fffff" + "deadbeef"));
        Assert.Equal(Postfix, offer);
    }

    [Fact]
    public void Thin_MTA_reports_the_missing_actions()
    {
        var n = Negotiator.Negotiate(new OptionNegotiation(6, MilterActions.AddHeaders, (F)0x7f),
            [PluginNeeds.Headers | PluginNeeds.AddHeaders | PluginNeeds.ChangeHeaders | PluginNeeds.AddRecipients]);
        Assert.Equal(MilterActions.AddHeaders, n.Actions);
        Assert.Equal(MilterActions.ChangeHeaders | MilterActions.AddRecipients, n.MissingActions);
    }

    [Fact]
    public void Add_recipient_without_parameters_is_enough_when_ADDRCPT_PAR_is_missing()
    {
        var n = Negotiator.Negotiate(new OptionNegotiation(6, MilterActions.AddRecipients, (F)0x1fffff), [PluginNeeds.AddRecipients]);
        Assert.Equal(MilterActions.AddRecipients, n.Actions);
        Assert.Equal(MilterActions.None, n.MissingActions);
    }

    [Fact]
    public void A_stage_nobody_needs_without_NO_bit_is_at_least_no_reply()
    {
        // Offers NR_CONN but not NOCONNECT: we still do not make the MTA wait.
        var n = Negotiator.Negotiate(new OptionNegotiation(6, MilterActions.None, F.NoReplyConnect), [PluginNeeds.Headers]);
        Assert.Equal(F.NoReplyConnect, n.Protocol);
    }
}
