using System.Net;
using Milters.Abstractions;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>RFC 8601 §5: headers claiming our authserv-id are removed from mail that is not from an internal host.</summary>
public class ForgedHeaderRemovalTests
{
    private const string Ours = "mx.example.com";
    private static readonly Dictionary<string, string?> Config = new() { ["AuthResults:AuthservId"] = Ours };

    /// <summary>Forged headers in the ways a forger varies them, and foreign ones that must stay.</summary>
    private static readonly string[] ForgedValues =
    [
        " mx.example.com; dkim=pass header.d=example.com",
        " MX.EXAMPLE.COM 1; spf=pass smtp.mailfrom=ceo@example.com",
        " (trust me) mx.example.com; domainkeys=pass header.from=ceo@example.com",
        "mx.example.com;sender-id=pass header.from=ceo@example.com",
        " \"mx.example.com\"\r\n\t; spf=pass",
    ];

    private static readonly string[] ForeignValues =
    [
        " other.example.org; dkim=pass header.d=example.org",
        " mx.example.com.evil.net; spf=pass smtp.mailfrom=a@evil.net",
        " relay.example.net 1; none",
    ];

    public static TheoryData<int> ForgedCounts => new() { 1, 2, 5 };

    [Theory]
    [MemberData(nameof(ForgedCounts))]
    public async Task Every_forged_header_goes_and_every_foreign_one_stays(int forged)
    {
        var context = MessageWith(forged, out var forgedOccurrences);
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);

        var deletions = context.QueuedEdits.Queued.Where(e => e.Kind == MessageEditKind.ChangeHeader).ToList();
        Assert.All(deletions, d => Assert.Null(d.Value));
        Assert.Equal(forgedOccurrences.OrderDescending(), deletions.Select(d => d.Index));
        // Deletions come before our insertion, so our own header is never counted among them.
        Assert.Equal(MessageEditKind.InsertHeader, context.QueuedEdits.Queued[^1].Kind);

        foreach (var after in new[]
                 {
                     PluginHarness.ApplyOriginalNumbering(context.Headers, context.QueuedEdits.Queued),
                     PluginHarness.ApplyRenumbering(context.Headers, context.QueuedEdits.Queued),
                 })
        {
            var ar = after.Where(h => h.Name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();
            Assert.Equal(ForeignValues.Length + 1, ar.Count);
            Assert.Equal(" mx.example.com; none", after[0].Value);
            Assert.Equal(ForeignValues, ar.Skip(1));
            Assert.Equal(["Received", "From", "To", "Subject", "Message-ID"], after.Where(h => !h.Name.Contains("Results", StringComparison.OrdinalIgnoreCase)).Select(h => h.Name));
        }
    }

    /// <summary>"Authentication-Results :" (white space before the colon, RFC 5322 obs-optional) is the same field.</summary>
    [Fact]
    public async Task A_forged_header_written_with_space_before_the_colon_goes_too()
    {
        var context = new FakeMessageContext()
            .Header("Authentication-Results ", " mx.example.com; dkim=pass header.d=example.com")
            .Header("Authentication-Results", " other.example.org; none")
            .Header("Authentication-Results\t", " mx.example.com; spf=pass")
            .Header("From", " a@example.com");
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);

        var deletions = context.QueuedEdits.Queued.Where(e => e.Kind == MessageEditKind.ChangeHeader).ToList();
        Assert.Equal([3, 1], deletions.Select(d => d.Index));
        Assert.All(deletions, d => Assert.Equal("Authentication-Results", d.Name));
    }

    /// <summary>
    /// Two processes, one authserv-id (dk-filter and sid-filter replaced one for one): the other process's field —
    /// above the MTA's own Received:, only its methods or "none" — stays; a field with any method of ours, one that
    /// does not parse, one of another version, and every field below the MTA's Received: (from the client, whatever it
    /// claims) still goes. So the dk-filter command run alone still removes a forged spf= field (a code review's find).
    /// </summary>
    [Fact]
    public async Task A_sibling_filters_field_stays_and_everything_else_of_ours_goes()
    {
        var context = new FakeMessageContext()
            .Header("Authentication-Results", " mx.example.com; domainkeys=pass header.from=a@example.com")
            .Header("Authentication-Results", " mx.example.com; sender-id=pass header.from=a@example.com; spf=pass smtp.mailfrom=example.com")
            .Header("Authentication-Results", " mx.example.com; domainkeys=pass; spf=pass smtp.mailfrom=example.com")
            .Header("Authentication-Results", " mx.example.com; none")
            .Header("Authentication-Results", " mx.example.com; domainkeys=pass (unclosed")
            .Header("Authentication-Results", " mx.example.com 2; domainkeys=pass")
            .Header("Authentication-Results", " MX.example.com; DomainKeys=fail")
            .Header("Received", " from client.example.net by mx.example.com")
            .Header("Authentication-Results", " mx.example.com; domainkeys=pass header.from=forged@example.com")
            .Header("Authentication-Results", " mx.example.com; none")
            .Header("From", " a@example.com");
        var config = new Dictionary<string, string?>(Config) { ["AuthResults:SiblingMethods"] = "domainkeys" };
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(config), context);
        var deletions = context.QueuedEdits.Queued.Where(e => e.Kind == MessageEditKind.ChangeHeader).Select(d => d.Index);
        Assert.Equal([9, 8, 6, 5, 3, 2], deletions);
    }

    /// <summary>As `milters dk-filter` is set up: sid-filter's field of an authenticated message (auth=) stays; a forged spf= goes.</summary>
    [Fact]
    public async Task The_dk_filter_command_keeps_sid_filters_field_and_removes_a_forged_one()
    {
        var context = new FakeMessageContext()
            .Header("Authentication-Results", " mx.example.com; sender-id=pass header.from=a@example.com; spf=pass smtp.mailfrom=example.com; auth=pass smtp.auth=alice")
            .Header("Received", " from client.example.net by mx.example.com")
            .Header("Authentication-Results", " mx.example.com; spf=pass smtp.mailfrom=ceo@example.com")
            .Header("From", " ceo@example.com");
        var config = new Dictionary<string, string?>(Config) { ["AuthResults:SiblingMethods"] = "sender-id,spf,auth" };
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(config), context);
        Assert.Equal([2], context.QueuedEdits.Queued.Where(e => e.Kind == MessageEditKind.ChangeHeader).Select(d => d.Index));
    }

    [Fact]
    public void Sibling_methods_must_be_method_names() =>
        Assert.Contains("AuthResults:SiblingMethods: \"sender id\"",
            Assert.ThrowsAny<Exception>(() => PluginHarness.CreateFilter(new Dictionary<string, string?>(Config) { ["AuthResults:SiblingMethods:0"] = "sender id" })).ToString());

    /// <summary>RFC 8601 §5: a version we do not support goes, whoever claims to have written it; version 1 stays.</summary>
    [Fact]
    public async Task A_header_of_an_unknown_version_goes_whatever_its_authserv_id()
    {
        var context = new FakeMessageContext()
            .Header("Authentication-Results", " other.example.org 2; spf=pass smtp.mailfrom=example.org")
            .Header("Authentication-Results", " other.example.org 1 (first); none")
            .Header("Authentication-Results", " other.example.org (v) 02 ; dkim=pass")
            .Header("Authentication-Results", " other.example.org; dkim=pass header.d=2")
            .Header("From", " a@example.com");
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);
        var deletions = context.QueuedEdits.Queued.Where(e => e.Kind == MessageEditKind.ChangeHeader).ToList();
        Assert.Equal([3, 1], deletions.Select(d => d.Index));
    }

    /// <summary>RFC 8601 §5: an internationalized authserv-id is one name in U-labels and in A-labels.</summary>
    [Theory]
    [InlineData("mx.bücher.example", " mx.xn--bcher-kva.example; spf=pass")]
    [InlineData("mx.xn--bcher-kva.example", " mx.bücher.example; spf=pass")]
    [InlineData("mx.bücher.example", " MX.BÜCHER.EXAMPLE; spf=pass")]
    public async Task An_internationalized_authserv_id_is_recognised_in_either_form(string ours, string forged)
    {
        var context = new FakeMessageContext().Header("Authentication-Results", forged).Header("From", " a@example.com");
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = ours }), context);
        Assert.Single(context.QueuedEdits.Queued, e => e.Kind == MessageEditKind.ChangeHeader);
        // Our own header names us in A-labels, which a message without SMTPUTF8 may carry (RFC 8601 §2.5).
        Assert.Equal(" mx.xn--bcher-kva.example; none", context.QueuedEdits.Queued[^1].Value);
    }

    [Fact]
    public async Task Headers_from_an_internal_host_are_kept()
    {
        var context = MessageWith(2, out _);
        context.Connection = new ConnectionInfo("localhost", ClientFamily.Inet, IPAddress.Loopback, 40000, null);
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);
        Assert.DoesNotContain(context.QueuedEdits.Queued, e => e.Kind == MessageEditKind.ChangeHeader);
        Assert.Single(context.QueuedEdits.Queued);
    }

    [Theory]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("127.0.0.2", false)]
    [InlineData("10.1.2.3", false)]
    public async Task The_default_internal_hosts_are_the_loopback_addresses(string address, bool trusted)
    {
        var context = MessageWith(1, out _);
        context.Connection = new ConnectionInfo("client", ClientFamily.Inet6, IPAddress.Parse(address), 40000, null);
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);
        Assert.Equal(trusted ? 0 : 1, context.QueuedEdits.Queued.Count(e => e.Kind == MessageEditKind.ChangeHeader));
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("10.255.0.1", true)]
    [InlineData("192.0.2.77", true)]
    [InlineData("192.0.2.78", false)]
    [InlineData("127.0.0.1", false)]
    public async Task Internal_hosts_are_configurable(string address, bool trusted)
    {
        var context = MessageWith(1, out _);
        context.Connection = new ConnectionInfo("client", ClientFamily.Inet, IPAddress.Parse(address), 40000, null);
        var config = new Dictionary<string, string?>(Config)
        {
            ["AuthResults:InternalHosts:0"] = "10.0.0.0/8",
            ["AuthResults:InternalHosts:1"] = "192.0.2.77",
        };
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(config), context);
        Assert.Equal(trusted ? 0 : 1, context.QueuedEdits.Queued.Count(e => e.Kind == MessageEditKind.ChangeHeader));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("192.0.2.1", false)]
    [InlineData(null, false)]
    public async Task Without_an_address_from_connect_the_client_addr_macro_decides(string? clientAddr, bool trusted)
    {
        var context = MessageWith(1, out _);
        context.Connection = new ConnectionInfo("localhost", ClientFamily.Unix, null, 0, "/run/x.sock");
        if (clientAddr is not null) context.MacroValues.Values["client_addr"] = clientAddr;
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);
        Assert.Equal(trusted ? 0 : 1, context.QueuedEdits.Queued.Count(e => e.Kind == MessageEditKind.ChangeHeader));
    }

    [Fact]
    public async Task Remove_All_removes_foreign_headers_too()
    {
        var context = MessageWith(2, out _);
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new(Config) { ["AuthResults:Remove"] = "All" }), context);
        var after = PluginHarness.ApplyRenumbering(context.Headers, context.QueuedEdits.Queued);
        Assert.Equal([" mx.example.com; none"], after.Where(h => h.Name.Contains("Results")).Select(h => h.Value));
    }

    [Fact]
    public async Task Other_authserv_ids_of_our_admd_are_removed_as_well()
    {
        var context = new FakeMessageContext()
            .Header("Authentication-Results", " mx2.example.com; spf=pass")
            .Header("Authentication-Results", " other.example.org; spf=pass")
            .Header("Authentication-Results", " mx.example.com; spf=pass");
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new(Config) { ["AuthResults:OtherAuthservIds:0"] = "MX2.example.com" }), context);
        Assert.Equal([3, 1], context.QueuedEdits.Queued.Where(e => e.Kind == MessageEditKind.ChangeHeader).Select(e => e.Index));
    }

    [Fact]
    public async Task Occurrences_count_every_spelling_of_the_field_name()
    {
        var context = new FakeMessageContext()
            .Header("authentication-results", " other.example.org; none")
            .Header("Authentication-results", " mx.example.com; dkim=pass")
            .Header("AUTHENTICATION-RESULTS", " mx.example.com; spf=pass");
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);
        var deletions = context.QueuedEdits.Queued.Where(e => e.Kind == MessageEditKind.ChangeHeader).ToList();
        Assert.Equal([("AUTHENTICATION-RESULTS", 3), ("Authentication-results", 2)], deletions.Select(d => (d.Name!, d.Index)));
    }

    [Fact]
    public async Task Without_existing_headers_nothing_is_removed()
    {
        var context = new FakeMessageContext().Header("From", " a@example.com").Header("Authentication-Results-Original", " mx.example.com; none");
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(Config), context);
        Assert.Single(context.QueuedEdits.Queued);
    }

    /// <summary>Received, then A-R headers (forged and foreign interleaved) among ordinary ones.</summary>
    private static FakeMessageContext MessageWith(int forged, out List<int> forgedOccurrences)
    {
        var context = new FakeMessageContext().Header("Received", " from mail.example.net by mx.example.com; Sun, 29 Nov 2026 16:00:00 +0000");
        var ar = new List<string>();
        for (int f = 0, o = 0; f < forged || o < ForeignValues.Length;)
        {
            if (f < forged) ar.Add("F" + f++);
            if (o < ForeignValues.Length) ar.Add("O" + o++);
        }
        forgedOccurrences = new List<int>();
        var occurrence = 0;
        var others = new Queue<(string, string)>([("From", " a@example.com"), ("To", " b@example.org"), ("Subject", " test"), ("Message-ID", " <1@example.com>")]);
        foreach (var tag in ar)
        {
            occurrence++;
            var index = int.Parse(tag[1..]);
            if (tag[0] == 'F')
            {
                forgedOccurrences.Add(occurrence);
                context.Header("Authentication-Results", ForgedValues[index]);
            }
            else context.Header("Authentication-Results", ForeignValues[index]);
            if (others.TryDequeue(out var h)) context.Header(h.Item1, h.Item2);
        }
        while (others.TryDequeue(out var h)) context.Header(h.Item1, h.Item2);
        Assert.All(ForgedValues, v => Assert.Equal(Ours, AuthservIdReader.Read(v), ignoreCase: true));
        return context;
    }
}
