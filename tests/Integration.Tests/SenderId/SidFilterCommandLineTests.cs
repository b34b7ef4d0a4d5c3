using Milters.Host.Compat;

namespace Milters.Integration.Tests.SenderId;

/// <summary>`milters sid-filter …`: sid-filter.8's flags as configuration keys; unsupported flags are errors.</summary>
public sealed class SidFilterCommandLineTests
{
    private static IReadOnlyDictionary<string, string?> Translate(params string[] args) =>
        new SidFilterCommandLine().Translate(args).Settings;

    [Fact]
    public void TypicalRcScriptLine()
    {
        var s = Translate("-l", "-p", "inet:8891@localhost", "-P", "/var/run/sid-filter.pid", "-r", "2", "-u", "milter");
        Assert.Equal("inet:8891@localhost", s["Listen:Socket"]);
        Assert.Equal("true", s["Logging:Syslog"]);
        Assert.Equal("/var/run/sid-filter.pid", s["Hosting:PidFile"]);
        Assert.Equal("2", s["SenderId:RejectMode"]);
        Assert.Equal("milter", s["Hosting:User"]);
        Assert.Equal("SenderId,AuthResults", s["Plugins:Order"]);
        Assert.Equal("domainkeys", s["AuthResults:SiblingMethods"]); // dk-filter's field, next to ours
        Assert.Equal("true", s["SenderId:RejectMissingPra"]); // sid-filter's default without -c
    }

    [Fact]
    public void GetoptClustersAndAttachedValues()
    {
        var s = Translate("-lfqt", "-r5", "-pinet:9999@127.0.0.1");
        Assert.Equal("true", s["Logging:Syslog"]);
        Assert.Equal("true", s["SenderId:Quarantine"]);
        Assert.Equal("true", s["SenderId:TestMode"]);
        Assert.Equal("5", s["SenderId:RejectMode"]);
        Assert.Equal("inet:9999@127.0.0.1", s["Listen:Socket"]);
    }

    [Fact]
    public void PolicyFlags()
    {
        var s = Translate("-p", "inet:8891@localhost", "-a", "/etc/mail/peers", "-B", "-c", "-d", "example.com, example.net", "-D", "-h", "-H", "mx.example.org",
            "-L", "2", "-M", "%t rejected %a", "-n", "-Q", "-T", "7");
        Assert.Equal("/etc/mail/peers", s["SenderId:PeerListFile"]);
        Assert.Equal("true", s["SenderId:BestGuess"]);
        Assert.Equal("false", s["SenderId:RejectMissingPra"]);
        Assert.Equal("example.com,example.net", s["SenderId:IgnoredDomains"]);
        Assert.Equal("true", s["SenderId:SoftFailDnsErrors"]);
        Assert.Equal("true", s["SenderId:AddFilterHeader"]);
        Assert.Equal("mx.example.org", s["SenderId:HostName"]);
        Assert.Equal("mx.example.org", s["AuthResults:AuthservId"]);
        Assert.Equal("Debug", s["Logging:LogLevel:Milters.SenderId"]);
        Assert.Equal("%t rejected %a", s["SenderId:RejectText"]);
        Assert.Equal("false", s["SenderId:UseSpf1ForPra"]);
        Assert.Equal("Warning", s["Logging:LogLevel:Default"]);
        Assert.Equal("00:00:07", s["Dns:Timeout"]);
    }

    [Fact]
    public void DashVAsksForTheVersionAndNothingElse()
    {
        var t = new SidFilterCommandLine().Translate(["-p", "inet:8891@localhost", "-V"]);
        Assert.True(t.VersionRequested);
        Assert.Empty(t.Settings);
        Assert.False(new SidFilterCommandLine().Translate(["-p", "inet:8891@localhost"]).VersionRequested);
    }

    [Fact]
    public void ForegroundFlagIsNotedNotIgnored()
    {
        var t = new SidFilterCommandLine().Translate(["-f", "-p", "inet:8891@localhost"]);
        Assert.Contains(t.Notes, n => n.StartsWith("-f"));
    }

    /// <summary>sid-filter and dk-filter would not start without a socket; the drop-in neither.</summary>
    [Fact]
    public void A_command_line_without_a_socket_is_refused()
    {
        Assert.Contains("-p socketspec is required", Assert.Throws<LegacyCommandLineException>(() => new SidFilterCommandLine().Translate(["-l", "-r", "2"])).Message);
        Assert.Contains("-p socketspec is required", Assert.Throws<LegacyCommandLineException>(() => new DkFilterCommandLine().Translate(["-l", "-b", "v"])).Message);
    }

    [Theory]
    [InlineData("-A")]       // auto-restart
    [InlineData("-C", "5")]  // Cloudmark
    [InlineData("-R", "50")] // Cloudmark
    [InlineData("-x")]       // not a sid-filter flag
    [InlineData("-r", "6")]
    [InlineData("-r", "x")]
    [InlineData("-T", "0")]  // wait forever
    [InlineData("-p")]       // missing value
    [InlineData("stray")]
    public void UnsupportedOrBadFlagsAreErrors(params string[] args)
    {
        var e = Assert.Throws<LegacyCommandLineException>(() => Translate(args));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }
}
