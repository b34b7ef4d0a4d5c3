using Microsoft.Extensions.Configuration;
using Milters.Host.Compat;
using Milters.Host.Keys;

namespace Milters.DomainKeys.Tests;

/// <summary>`milters dk-filter …`: dk-filter 1.0's flags as configuration keys.</summary>
public sealed class DkFilterCommandLineTests
{
    private static LegacyTranslation Translate(params string[] args) => new DkFilterCommandLine().Translate(args);

    [Fact]
    public void The_seed_line_becomes_one_key_table_entry_and_the_plugin_order()
    {
        var t = Translate("-l", "-p", "inet:8892@localhost", "-d", "example.com", "-s", "/var/db/domainkeys/server.key.pem", "-S", "betatest");
        var s = t.Settings;
        Assert.Equal("inet:8892@localhost", s["Listen:Socket"]);
        Assert.Equal("true", s["Logging:Syslog"]);
        Assert.Equal("dk-filter", s["Logging:SyslogIdentity"]); // as the old program logged
        Assert.Equal("DomainKeys,AuthResults", s["Plugins:Order"]);
        Assert.Equal("sender-id,spf,auth", s["AuthResults:SiblingMethods"]); // sid-filter's field, next to ours
        Assert.Equal("example.com", s["Keys:Table:0:Domain"]);
        Assert.Equal("betatest", s["Keys:Table:0:Selector"]);
        Assert.Equal("/var/db/domainkeys/server.key.pem", s["Keys:Table:0:KeyFile"]);
        Assert.Equal("*@example.com", s["Keys:Table:0:Senders"]);
        Assert.Equal("example.com", s["DomainKeys:Domains"]);

        // The host reads the same keys into its key table.
        var config = new ConfigurationBuilder().AddInMemoryCollection(s).Build();
        var entry = Assert.Single(KeyTableOptions.FromConfiguration(config).Entries);
        Assert.True(entry.Senders.Single().Matches("alice@example.com"));
        Assert.False(entry.Senders.Single().Matches("alice@sub.example.com"));
    }

    [Fact]
    public void Several_domains_and_subdomains_share_the_key()
    {
        var s = Translate("-p", "inet:1@localhost", "-d", "example.com,example.org", "-D", "-s", "k.pem", "-S", "sel").Settings;
        Assert.Equal("example.org", s["Keys:Table:1:Domain"]);
        Assert.Equal("*@example.org,*@*.example.org", s["Keys:Table:1:Senders"]);
        Assert.Equal("true", s["DomainKeys:SubDomains"]);
        Assert.Equal(Path.GetFullPath("k.pem"), s["Keys:Table:0:KeyFile"]);
        var config = new ConfigurationBuilder().AddInMemoryCollection(s).Build();
        var entries = KeyTableOptions.FromConfiguration(config).Entries;
        Assert.Contains(entries[0].Senders, p => p.Matches("a@mail.example.com"));
    }

    [Fact]
    public void Getopt_clusters_and_attached_values_work()
    {
        var s = Translate("-lfhH", "-pinet:8892@localhost", "-bs", "-cnofws", "-o", "Received,X-Spam", "-m", "MSA", "-M", "{auth_type}", "-T", "7", "-d", "example.com", "-s", "k.pem", "-S", "sel").Settings;
        Assert.Equal("true", s["DomainKeys:AddFilterHeader"]);
        Assert.Equal("true", s["DomainKeys:IncludeHeaderList"]);
        Assert.Equal("s", s["DomainKeys:Mode"]);
        Assert.Equal("nofws", s["DomainKeys:Canonicalization"]);
        Assert.Equal("Received,X-Spam", s["DomainKeys:OmitHeaders"]);
        Assert.Equal("MSA", s["DomainKeys:SigningDaemons"]);
        Assert.Equal("{auth_type}", s["DomainKeys:SigningMacros"]);
        Assert.Equal("00:00:07", s["Dns:Timeout"]);
    }

    [Fact]
    public void Failure_actions_take_full_and_short_names()
    {
        var s = Translate("-p", "x", "-C", "bad=r,dnserror=accept,int=a,no=q").Settings;
        Assert.Equal("Reject", s["DomainKeys:Actions:BadSignature"]);
        Assert.Equal("Accept", s["DomainKeys:Actions:DnsError"]);
        Assert.Equal("Accept", s["DomainKeys:Actions:InternalError"]);
        Assert.Equal("Continue", s["DomainKeys:OnError"]);
        Assert.Equal("Quarantine", s["DomainKeys:Actions:NoSignature"]);
        Assert.Equal("Quarantine", Translate("-p", "x", "-q").Settings["DomainKeys:Actions:BadSignature"]);
        Assert.Equal("Discard", Translate("-p", "x", "-q", "-C", "bad=d").Settings["DomainKeys:Actions:BadSignature"]);
    }

    [Fact]
    public void Host_lists_are_addresses_or_files()
    {
        Assert.Equal("127.0.0.1,10.0.0.0/8", Translate("-p", "x", "-i", "127.0.0.1,10.0.0.0/8").Settings["DomainKeys:InternalHosts"]);
        var file = Path.GetTempFileName();
        try
        {
            Assert.Equal(file, Translate("-p", "x", "-a", file).Settings["DomainKeys:PeerHosts"]);
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Contains("no such file", Assert.Throws<LegacyCommandLineException>(() => Translate("-p", "x", "-I", "/nonexistent/hosts")).Message);
    }

    [Fact]
    public void A_key_list_gives_one_entry_per_line_with_the_file_name_as_selector()
    {
        var dir = Directory.CreateTempSubdirectory("dk-keylist").FullName;
        try
        {
            var list = Path.Combine(dir, "keys");
            File.WriteAllText(list, "# pattern:domain:key\n*@example.com:example.com:/etc/dk/alpha.key.pem\n\nboss@example.org:example.org:beta\n");
            var s = Translate("-p", "x", "-k", "-s", list).Settings;
            Assert.Equal("alpha", s["Keys:Table:0:Selector"]);
            Assert.Equal("/etc/dk/alpha.key.pem", s["Keys:Table:0:KeyFile"]);
            Assert.Equal("*@example.com", s["Keys:Table:0:Senders"]);
            Assert.Equal("beta", s["Keys:Table:1:Selector"]);
            Assert.Equal(Path.Combine(dir, "beta"), s["Keys:Table:1:KeyFile"]);
            Assert.Equal("boss@example.org", s["Keys:Table:1:Senders"]);
            Assert.Equal("false", s["Keys:MultipleSignatures"]); // dk-filter signed with the first line that matched
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData("-A")]
    [InlineData("-R")]
    [InlineData("-U", "/etc/popdb")]
    public void Unsupported_flags_say_so(params string[] flag)
    {
        var e = Assert.Throws<LegacyCommandLineException>(() => Translate(["-p", "x", .. flag]));
        Assert.StartsWith(flag[0], e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Theory]
    [InlineData("-V")]
    [InlineData("-p", "x", "-lV")]
    [InlineData("-b", "s", "-V")] // would need a key to run; dk-filter printed its version before checking that
    public void Dash_V_asks_for_the_version_and_nothing_else(params string[] args)
    {
        var t = Translate(args);
        Assert.True(t.VersionRequested);
        Assert.Empty(t.Settings);
        Assert.False(Translate("-p", "x").VersionRequested);
    }

    [Theory]
    [InlineData("unknown flag -Z", "-Z")]
    [InlineData("needs a value", "-d")]
    [InlineData("modes are s", "-b", "x")]
    [InlineData("simple and nofws", "-c", "relaxed")]
    [InlineData("results are", "-C", "foo=a")]
    [InlineData("actions are", "-C", "bad=x")]
    [InlineData("needs -S", "-d", "example.com", "-s", "k.pem")]
    [InlineData("needs -d", "-s", "k.pem", "-S", "sel")]
    [InlineData("needs a signing key", "-d", "example.com")]
    [InlineData("not a number", "-T", "soon")]
    [InlineData("-b s needs a signing key", "-b", "s")]
    [InlineData("unexpected argument", "stray")]
    public void Bad_lines_are_refused(string expected, params string[] args)
    {
        var e = Assert.Throws<LegacyCommandLineException>(() => Translate(args));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Without_a_key_the_filter_only_verifies()
    {
        var t = Translate("-p", "inet:8892@localhost");
        Assert.Equal("v", t.Settings["DomainKeys:Mode"]);
        Assert.Contains(t.Notes, n => n.Contains("verifying only"));
        Assert.Contains(Translate("-p", "x", "-f", "-b", "v").Notes, n => n.StartsWith("-f"));
    }

    [Fact]
    public void Pid_file_and_user_go_to_the_host()
    {
        var s = Translate("-p", "x", "-P", "/run/dk.pid", "-u", "dkfilter").Settings;
        Assert.Equal("/run/dk.pid", s["Hosting:PidFile"]);
        Assert.Equal("dkfilter", s["Hosting:User"]);
    }
}
