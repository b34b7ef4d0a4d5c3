using Milters.Abstractions;
using Milters.Host.Pipeline;

namespace Milters.Host.Tests.Pipeline;

public class MacrosTests
{
    [Fact]
    public void Names_are_found_with_or_without_braces()
    {
        var m = new Macros();
        m.Set(MacroStage.Connect, [new("{daemon_name}", "MSA"), new("j", "mx.example.com")]);
        Assert.Equal("MSA", m.Get("daemon_name"));
        Assert.Equal("MSA", m.Get("{daemon_name}"));
        Assert.Equal("mx.example.com", m.Get("{j}"));
        Assert.Equal("mx.example.com", m.Get("j"));
        Assert.Null(m.Get("i"));
    }

    [Fact]
    public void The_latest_stage_wins_and_each_stage_is_kept()
    {
        var m = new Macros();
        m.Set(MacroStage.MailFrom, [new("i", "early")]);
        m.Set(MacroStage.EndOfMessage, [new("i", "late")]);
        Assert.Equal("late", m.Get("i"));
        Assert.Equal("early", m.Get(MacroStage.MailFrom, "i"));
        m.Set(MacroStage.MailFrom, [new("i", "again")]);
        Assert.Equal("again", m.Get("i"));
    }

    [Fact]
    public void A_new_set_for_a_stage_replaces_the_old_one()
    {
        var m = new Macros();
        m.Set(MacroStage.Recipient, [new("{rcpt_addr}", "a@x")]);
        m.Set(MacroStage.Recipient, [new("{rcpt_mailer}", "local")]);
        Assert.Null(m.Get("rcpt_addr"));
        Assert.Equal("local", m.Get("rcpt_mailer"));
    }

    [Fact]
    public void Clearing_message_stages_keeps_connect_and_helo()
    {
        var m = new Macros();
        m.Set(MacroStage.Connect, [new("j", "mx")]);
        m.Set(MacroStage.Helo, [new("{tls_version}", "TLSv1.3")]);
        m.Set(MacroStage.MailFrom, [new("i", "Q")]);
        m.Set(MacroStage.EndOfMessage, [new("i", "Q")]);
        m.ClearMessageStages();
        Assert.Null(m.Get("i"));
        Assert.Equal("mx", m.Get("j"));
        Assert.Equal("TLSv1.3", m.Get("tls_version"));
    }
}
