using System.Net;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Milters.Abstractions;
using Milters.DomainKeys.Signing;
using Milters.DomainKeys.Tests.Support;
using Milters.Testing.Dns;

namespace Milters.DomainKeys.Tests;

/// <summary>dk-filter's sign-or-verify decision, case by case.</summary>
public sealed class SigningPolicyTests
{
    private static readonly ConnectionInfo Loopback = new("localhost", ClientFamily.Inet, IPAddress.Loopback, 1, null);
    private static readonly ConnectionInfo Loopback6 = new("localhost", ClientFamily.Inet6, IPAddress.IPv6Loopback, 1, null);
    private static readonly ConnectionInfo Outside = new("mx.example.net", ClientFamily.Inet, IPAddress.Parse("192.0.2.7"), 1, null);
    private static readonly ConnectionInfo Lan = new("pc.lan.example.com", ClientFamily.Inet, IPAddress.Parse("10.1.2.3"), 1, null);

    private static List<HeaderField> Headers(params string[] lines) =>
        lines.Select(l => new HeaderField(l[..l.IndexOf(':')], Encoding.UTF8.GetBytes(l[(l.IndexOf(':') + 1)..]))).ToList();

    private static SigningPolicy Policy(Action<DomainKeysOptions>? configure = null, bool internalHostsConfigured = false)
    {
        var options = new DomainKeysOptions { Domains = ["example.com"] };
        configure?.Invoke(options);
        return new SigningPolicy(options, ["unused.example"], internalHostsConfigured);
    }

    private static TestMacros Macros(params (string, string)[] values)
    {
        var m = new TestMacros();
        foreach (var (k, v) in values) m.Values[k] = v;
        return m;
    }

    public static IEnumerable<object[]> Cases()
    {
        var from = new[] { "From: Alice <alice@example.com>" };
        // connection, macros, headers, expected role
        yield return ["loopback, own domain", Loopback, "", from, "Sign"];
        yield return ["::1 is internal by default", Loopback6, "", from, "Sign"];
        yield return ["outside host", Outside, "", from, "Verify"];
        yield return ["outside but authenticated", Outside, "auth_authen=alice", from, "Sign"];
        yield return ["outside with auth_type only", Outside, "auth_type=PLAIN", from, "Sign"];
        yield return ["foreign domain from loopback", Loopback, "", new[] { "From: bob@example.org" }, "Verify"];
        yield return ["Sender decides over From", Loopback, "", new[] { "From: bob@example.org", "Sender: alice@example.com" }, "Sign"];
        yield return ["foreign Sender over own From", Loopback, "", new[] { "From: alice@example.com", "Sender: bob@example.org" }, "Verify"];
        yield return ["subdomain without -D", Loopback, "", new[] { "From: a@mail.example.com" }, "Verify"];
        yield return ["already signed", Loopback, "", new[] { "DomainKey-Signature: a=rsa-sha1; d=example.com; s=x; b=AA==", "From: alice@example.com" }, "Verify"];
        yield return ["no From at all", Loopback, "", new[] { "Subject: hi" }, "Verify"];
        yield return ["domain case differs", Loopback, "", new[] { "From: alice@EXAMPLE.COM" }, "Sign"];
        // Sendmail -bs (SMTP on standard input) reports family unknown, no address: this host, as for dk-filter.
        yield return ["no address: local submission", new ConnectionInfo("localhost", ClientFamily.Unknown, null, 0, null), "", from, "Sign"];
        // A unix-socket client is not "no address" (dk-filter did not take it for 127.0.0.1 either).
        yield return ["unix-socket client", new ConnectionInfo("localhost", ClientFamily.Unix, null, 0, "/run/x.sock"), "", from, "Verify"];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides(string why, ConnectionInfo connection, string macro, string[] headers, string expected)
    {
        var macros = macro.Length == 0 ? Macros() : Macros((macro.Split('=')[0], macro.Split('=')[1]));
        var role = Enum.Parse<MessageRole>(expected);
        var decision = Policy().Decide(connection, macros, Headers(headers));
        Assert.True(role == decision.Role, $"{why}: expected {role}, got {decision.Role} ({decision.Why})");
    }

    [Fact]
    public void Subdomains_sign_with_D()
    {
        var policy = Policy(o => o.SubDomains = true);
        Assert.Equal(MessageRole.Sign, policy.Decide(Loopback, Macros(), Headers("From: a@mail.example.com")).Role);
        Assert.Equal(MessageRole.Verify, policy.Decide(Loopback, Macros(), Headers("From: a@notexample.com")).Role);
    }

    [Fact]
    public void Signing_daemons_sign_mail_from_anywhere_on_that_daemon()
    {
        // The seed: only mail submitted on the MSA port is signed; loopback is not internal here.
        var policy = Policy(o => { o.SigningDaemons = ["MSA"]; o.InternalHosts = []; }, internalHostsConfigured: true);
        Assert.Equal(MessageRole.Sign, policy.Decide(Loopback, Macros(("daemon_name", "MSA")), Headers("From: a@example.com")).Role);
        Assert.Equal(MessageRole.Verify, policy.Decide(Loopback, Macros(("daemon_name", "MTA")), Headers("From: a@example.com")).Role);
    }

    [Fact]
    public void Internal_hosts_take_cidr_names_and_exclusions()
    {
        var policy = Policy(o => o.InternalHosts = ["10.0.0.0/8", "!10.9.9.9", ".trusted.example"], internalHostsConfigured: true);
        Assert.Equal(MessageRole.Sign, policy.Decide(Lan, Macros(), Headers("From: a@example.com")).Role);
        Assert.Equal(MessageRole.Verify, policy.Decide(Lan with { Address = IPAddress.Parse("10.9.9.9") }, Macros(), Headers("From: a@example.com")).Role);
        Assert.Equal(MessageRole.Sign, policy.Decide(Outside with { HostName = "relay.trusted.example" }, Macros(), Headers("From: a@example.com")).Role);
        Assert.Equal(MessageRole.Verify, policy.Decide(Loopback, Macros(), Headers("From: a@example.com")).Role); // default replaced
    }

    [Fact]
    public void Ipv4_mapped_addresses_match_ipv4_entries()
    {
        var mapped = new ConnectionInfo("localhost", ClientFamily.Inet6, IPAddress.Parse("::ffff:127.0.0.1"), 1, null);
        Assert.Equal(MessageRole.Sign, Policy().Decide(mapped, Macros(), Headers("From: a@example.com")).Role);
    }

    [Fact]
    public void Macro_rules_match_presence_or_values()
    {
        var policy = Policy(o => { o.SigningMacros = ["{client_resolve}=OK|TEMP", "x_sign"]; o.InternalHosts = []; }, internalHostsConfigured: true);
        Assert.Equal(MessageRole.Sign, policy.Decide(Outside, Macros(("client_resolve", "OK")), Headers("From: a@example.com")).Role);
        Assert.Equal(MessageRole.Verify, policy.Decide(Outside, Macros(("client_resolve", "FAIL")), Headers("From: a@example.com")).Role);
        Assert.Equal(MessageRole.Sign, policy.Decide(Outside, Macros(("x_sign", "")), Headers("From: a@example.com")).Role);
    }

    [Fact]
    public void Modes_limit_what_happens()
    {
        var verifyOnly = Policy(o => o.Mode = "v");
        Assert.Equal(MessageRole.Verify, verifyOnly.Decide(Loopback, Macros(), Headers("From: a@example.com")).Role);
        var signOnly = Policy(o => o.Mode = "s");
        Assert.Equal(MessageRole.Sign, signOnly.Decide(Loopback, Macros(), Headers("From: a@example.com")).Role);
        Assert.Equal(MessageRole.Ignore, signOnly.Decide(Outside, Macros(), Headers("From: a@example.com")).Role);
    }

    [Fact]
    public void Peers_are_left_alone()
    {
        var policy = Policy(o => o.PeerHosts = ["192.0.2.0/24"]);
        Assert.Equal(MessageRole.Ignore, policy.Decide(Outside, Macros(), Headers("From: a@example.com")).Role);
    }

    [Fact]
    public void External_sender_as_own_domain_is_flagged_unless_listed()
    {
        Assert.True(Policy().Decide(Outside, Macros(), Headers("From: a@example.com")).ExternalSendingAsOurs);
        Assert.False(Policy(o => o.ExternalHosts = ["192.0.2.7"]).Decide(Outside, Macros(), Headers("From: a@example.com")).ExternalSendingAsOurs);
    }

    [Fact]
    public void Domains_come_from_a_file_or_the_key_table()
    {
        var file = Path.Combine(Path.GetTempPath(), $"dk-domains-{Guid.NewGuid():N}");
        File.WriteAllText(file, "# signing domains\nexample.org\n\nexample.net # second\n");
        try
        {
            var policy = new SigningPolicy(new DomainKeysOptions { Domains = [file] }, []);
            Assert.True(policy.IsSigningDomain("example.net"));
            Assert.True(policy.IsSigningDomain("example.org"));
            Assert.False(policy.IsSigningDomain("example.com"));
        }
        finally
        {
            File.Delete(file);
        }
        var fromTable = new SigningPolicy(new DomainKeysOptions(), ["table.example"]);
        Assert.True(fromTable.IsSigningDomain("TABLE.example"));
    }

    /// <summary>
    /// An independent review: a missing list file passed check-config and start, then every message was tempfailed
    /// from the first connection on; "10.0.0.0/33" was kept as a host name that never matches.
    /// </summary>
    [Theory]
    [InlineData("InternalHosts", "/nonexistent/hosts", "DomainKeys:InternalHosts: cannot read the host list /nonexistent/hosts")]
    [InlineData("PeerHosts", "/nonexistent/peers", "DomainKeys:PeerHosts: cannot read the host list /nonexistent/peers")]
    [InlineData("ExternalHosts", "10.0.0.0/33", "DomainKeys:ExternalHosts: \"10.0.0.0/33\" is not an address, a network (CIDR) or a host name")]
    [InlineData("InternalHosts", "!192.0.2.0/24x", "DomainKeys:InternalHosts: \"192.0.2.0/24x\" is not an address, a network (CIDR) or a host name")]
    [InlineData("Domains", "/nonexistent/domains", "DomainKeys:Domains: cannot read the domain list /nonexistent/domains")]
    // IPAddress reads "10" as 0.0.0.10: "10/8" was 0.0.0.0/8, and mail from 10.x was silently not signed.
    [InlineData("InternalHosts", "10/8", "DomainKeys:InternalHosts: \"10/8\": write the network's address in full")]
    [InlineData("PeerHosts", "172.16/255.240.0.0", "DomainKeys:PeerHosts: \"172.16/255.240.0.0\": write the network's address in full")]
    public void A_bad_list_stops_the_configuration_with_its_key_named(string key, string value, string expected)
    {
        var e = Assert.Throws<InvalidOperationException>(() => FilterFactory.Create(new InMemoryDnsResolver(), new TestKeyTable(),
            new Dictionary<string, string?> { [key] = value }));
        Assert.StartsWith(expected, e.Message);
    }

    /// <summary>Entries that loaded before the lists were checked keep loading, now meaning what they say (diff review).</summary>
    [Fact]
    public void Host_lists_take_trailing_comments_netmasks_and_zoned_addresses()
    {
        var file = Path.Combine(Path.GetTempPath(), $"dk-hosts-{Guid.NewGuid():N}");
        File.WriteAllText(file, "10.0.0.1 # the MX\nmx.lan.example.com\t# by name\n10.9.0.0/255.255.0.0\nfe80::1%eth0\n");
        try
        {
            var policy = Policy(o => o.InternalHosts = [file], internalHostsConfigured: true);
            ConnectionInfo From(string ip, string name = "unknown") => new(name, ClientFamily.Inet, IPAddress.Parse(ip), 1, null);
            Assert.Equal(MessageRole.Sign, policy.Decide(From("10.0.0.1"), Macros(), Headers("From: a@example.com")).Role);
            Assert.Equal(MessageRole.Sign, policy.Decide(From("10.9.200.3"), Macros(), Headers("From: a@example.com")).Role);
            Assert.Equal(MessageRole.Sign, policy.Decide(From("192.0.2.9", "mx.lan.example.com"), Macros(), Headers("From: a@example.com")).Role);
            Assert.Equal(MessageRole.Sign, policy.Decide(new ConnectionInfo("x", ClientFamily.Inet6, IPAddress.Parse("fe80::1"), 1, null), Macros(), Headers("From: a@example.com")).Role);
            Assert.Equal(MessageRole.Verify, policy.Decide(From("10.10.0.1"), Macros(), Headers("From: a@example.com")).Role);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// The lists are read once, with the configuration: with `-u` they may be root's files and the first connection
    /// comes after the privileges are gone (a review saw every connection tempfailed).
    /// </summary>
    [Fact]
    public void A_host_list_is_read_with_the_configuration_not_at_the_first_connection()
    {
        var file = Path.Combine(Path.GetTempPath(), $"dk-hosts-{Guid.NewGuid():N}");
        File.WriteAllText(file, "10.0.0.1\n");
        var plugin = new DomainKeysPlugin();
        var services = new ServiceCollection();
        services.AddSingleton<IDnsResolver>(new InMemoryDnsResolver());
        services.AddSingleton<ISigningKeyTable>(new TestKeyTable());
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["InternalHosts"] = file }).Build();
        plugin.ConfigureServices(services, section);
        File.Delete(file);
        var provider = services.BuildServiceProvider();
        Assert.NotNull(plugin.CreateFilter(provider));
    }
}
