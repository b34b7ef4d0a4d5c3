using System.Net;
using Milters.Abstractions;
using Milters.Host.Dns;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Dns;

/// <summary>A real BIND on loopback (tests/peers/dns.sh), started once for these tests.</summary>
public sealed class BindFixture : IDisposable
{
    public static readonly string LongString = new('x', 250);

    public BindFixture()
    {
        var options = new DnsServerOptions();
        var big = string.Join(" ", Enumerable.Range(0, 8).Select(i => $"\"{i}{LongString}\""));
        options.ZoneTexts.Add($"""
            example.com.              300 IN TXT "v=spf1 -all"
            example.com.              300 IN MX 10 mx1.example.com.
            example.com.              300 IN MX 20 mx2.example.com.
            multi.example.com.        300 IN TXT "v=spf1 " "include:_spf.example.net" " -all"
            two.example.com.          300 IN TXT "first"
            two.example.com.          300 IN TXT "second"
            utf8.example.com.         300 IN TXT "caf\195\169 \"quoted\" semi\;colon"
            a.example.com.            300 IN A 192.0.2.1
            a.example.com.            300 IN A 192.0.2.2
            a.example.com.            300 IN AAAA 2001:db8::1
            alias.example.com.        300 IN CNAME a.example.com.
            big.example.com.          300 IN TXT {big}
            single.                   300 IN A 192.0.2.9
            1.2.0.192.in-addr.arpa.   300 IN PTR a.example.com.
            1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR a.example.com.
            """);
        options.ServFail.Add("broken.example");
        options.Timeout.Add("slow.example");
        options.TcpOnly.Add("tcp.example.com");
        options.ZoneTexts.Add("tcp.example.com. 300 IN TXT \"only over tcp\"");
        Server = DnsServer.Start(options);
    }

    public DnsServer Server { get; }

    public DnsClientResolver Resolver(TimeSpan? timeout = null, int retries = 1, bool cache = false) =>
        new(new DnsOptions([NameServerAddress.Parse(Server.Endpoint)], timeout ?? TimeSpan.FromSeconds(3), retries, cache));

    public void Dispose() => Server.Dispose();
}

public class DnsClientResolverTests(BindFixture bind) : IClassFixture<BindFixture>
{
    private readonly DnsClientResolver resolver = bind.Resolver();

    [Fact]
    public async Task Txt_strings_are_kept_per_record()
    {
        var multi = await resolver.QueryTxtAsync("multi.example.com");
        Assert.Equal(DnsStatus.Ok, multi.Status);
        var record = Assert.Single(multi.Records);
        Assert.Equal(["v=spf1 ", "include:_spf.example.net", " -all"], record.Strings);
        Assert.Equal("v=spf1 include:_spf.example.net -all", record.Text);

        var two = await resolver.QueryTxtAsync("two.example.com");
        Assert.Equal(["first", "second"], two.Records.Select(r => r.Text).Order());
    }

    [Fact]
    public async Task Txt_text_is_utf8_and_unescaped()
    {
        var answer = await resolver.QueryTxtAsync("utf8.example.com");
        Assert.Equal("café \"quoted\" semi;colon", Assert.Single(answer.Records).Text);
    }

    [Fact]
    public async Task Truncated_answer_is_retried_over_tcp()
    {
        var big = await resolver.QueryTxtAsync("big.example.com");
        Assert.Equal(DnsStatus.Ok, big.Status);
        var strings = Assert.Single(big.Records).Strings;
        Assert.Equal(8, strings.Count);
        Assert.Equal("7" + BindFixture.LongString, strings[7]);

        var tcp = await resolver.QueryTxtAsync("tcp.example.com");
        Assert.Equal("only over tcp", Assert.Single(tcp.Records).Text);
        Assert.Contains(bind.Server.QueriesFor("tcp.example.com"), DnsServer.IsOverTcp);
    }

    [Fact]
    public async Task Addresses_mx_and_ptr()
    {
        var a = await resolver.QueryAAsync("a.example.com");
        Assert.Equal(["192.0.2.1", "192.0.2.2"], a.Records.Select(x => x.ToString()).Order());
        var aaaa = await resolver.QueryAaaaAsync("a.example.com");
        Assert.Equal(IPAddress.Parse("2001:db8::1"), Assert.Single(aaaa.Records));
        var viaCname = await resolver.QueryAAsync("alias.example.com");
        Assert.Equal(2, viaCname.Records.Count);

        var mx = await resolver.QueryMxAsync("example.com");
        Assert.Equal([new MxRecord(10, "mx1.example.com"), new MxRecord(20, "mx2.example.com")], mx.Records.OrderBy(m => m.Preference));

        var ptr4 = await resolver.QueryPtrAsync(IPAddress.Parse("192.0.2.1"));
        Assert.Equal(["a.example.com"], ptr4.Records);
        var ptrMapped = await resolver.QueryPtrAsync(IPAddress.Parse("::ffff:192.0.2.1"));
        Assert.Equal(["a.example.com"], ptrMapped.Records);
        var ptr6 = await resolver.QueryPtrAsync(IPAddress.Parse("2001:db8::1"));
        Assert.Equal(["a.example.com"], ptr6.Records);
    }

    [Fact]
    public async Task NoData_and_NxDomain_are_told_apart()
    {
        var nodata = await resolver.QueryTxtAsync("a.example.com");
        Assert.Equal(DnsStatus.NoData, nodata.Status);
        Assert.True(nodata.IsVoid);
        Assert.Empty(nodata.Records);

        var nx = await resolver.QueryTxtAsync("nope.example.com");
        Assert.Equal(DnsStatus.NxDomain, nx.Status);
        Assert.True(nx.IsVoid);
    }

    [Fact]
    public async Task A_name_that_cannot_be_asked_for_does_not_exist_rather_than_failing_for_now()
    {
        // A damaged DomainKey-Signature (s= with a tab in it) must give "no key", not tempfail the message.
        var answer = await resolver.QueryTxtAsync("dk\tit._domainkey.example.com");
        Assert.Equal(DnsStatus.NxDomain, answer.Status);
        Assert.False(answer.IsTemporaryError);
        Assert.Contains("invalid name", answer.Error);
    }

    [Theory]
    [InlineData("good.._domainkey.example.com")] // s=good. (an independent comparison saw 451 on every retry)
    [InlineData("a..b._domainkey.example.com")]
    [InlineData(".good._domainkey.example.com")]
    [InlineData("x.example.com..")]
    [InlineData("bad..name.example")]
    public async Task A_name_with_an_empty_label_does_not_exist_and_is_not_sent(string name)
    {
        var answer = await resolver.QueryTxtAsync(name);
        Assert.Equal(DnsStatus.NxDomain, answer.Status);
        Assert.False(answer.IsTemporaryError);
        Assert.Contains("empty label", answer.Error); // refused here, not sent (a server answers such a name FORMERR)
    }

    [Fact]
    public void Names_past_the_DNS_limits_cannot_be_asked_for()
    {
        Assert.Null(DnsClientResolver.UnaskableReason("example.com."));
        Assert.Null(DnsClientResolver.UnaskableReason(new string('a', 63) + ".example"));
        Assert.Equal("label longer than 63 octets", DnsClientResolver.UnaskableReason(new string('a', 64) + ".example"));
        Assert.Equal("longer than 253 octets", DnsClientResolver.UnaskableReason(string.Join('.', Enumerable.Repeat(new string('a', 50), 6))));
        Assert.Equal("empty name", DnsClientResolver.UnaskableReason("."));
    }

    [Fact]
    public async Task ServFail_and_timeout_are_temporary_errors()
    {
        var servfail = await resolver.QueryTxtAsync("x.broken.example");
        Assert.Equal(DnsStatus.ServerFailure, servfail.Status);
        Assert.True(servfail.IsTemporaryError);

        var quick = bind.Resolver(TimeSpan.FromMilliseconds(300), retries: 0);
        var timeout = await quick.QueryTxtAsync("x.slow.example");
        Assert.Equal(DnsStatus.Timeout, timeout.Status);
        Assert.True(timeout.IsTemporaryError);
    }

    [Fact]
    public async Task No_search_list_is_applied()
    {
        var single = await resolver.QueryAAsync("single");
        Assert.Equal(IPAddress.Parse("192.0.2.9"), Assert.Single(single.Records));
        var asked = bind.Server.QueryLog().Split('\n').Where(l => l.Contains("query: single", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(asked);
        Assert.All(asked, l => Assert.Contains("query: single IN A", l));
    }

    [Fact]
    public async Task Unreachable_server_times_out()
    {
        var dead = new DnsClientResolver(new DnsOptions([NameServerAddress.Parse("127.0.0.1:1")], TimeSpan.FromMilliseconds(300), 0, false));
        var answer = await dead.QueryAAsync("a.example.com");
        Assert.True(answer.IsTemporaryError, answer.ToString());
    }
}
