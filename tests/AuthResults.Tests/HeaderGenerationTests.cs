using Milters.Abstractions;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>The header the filter writes from what the earlier plugins recorded.</summary>
public class HeaderGenerationTests
{
    private static MessageEdit OurHeader(FakeMessageContext context) =>
        Assert.Single(context.QueuedEdits.Queued, e => e.Kind is MessageEditKind.InsertHeader or MessageEditKind.AddHeader);

    private static AuthResultsHeader Parsed(FakeMessageContext context)
    {
        var edit = OurHeader(context);
        Assert.Equal("Authentication-Results", edit.Name);
        return AuthResultsParser.Parse(edit.Value!);
    }

    [Fact]
    public async Task Results_are_written_in_the_order_the_plugins_recorded_them()
    {
        var context = new FakeMessageContext()
            .Result("DomainKeys", new AuthenticationResult(AuthMethods.DomainKeys, AuthResultCode.Pass, null,
                [new AuthProperty("header", "from", "alice@example.com"), new AuthProperty("header", "d", "example.com")]))
            .Result("SenderId", new AuthenticationResult(AuthMethods.SenderId, AuthResultCode.Fail, "192.0.2.10 is not permitted",
                [new AuthProperty("header", "from", "alice@example.com")]))
            .Result("SenderId", new AuthenticationResult(AuthMethods.Spf, AuthResultCode.SoftFail, null,
                [new AuthProperty("smtp", "mailfrom", "bounce@example.com")]));
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com" }), context);

        var edit = OurHeader(context);
        Assert.Equal(MessageEditKind.InsertHeader, edit.Kind);
        Assert.Equal(0, edit.Index);
        Assert.Equal(
            " mx.example.com;\r\n" +
            "\tdomainkeys=pass header.from=alice@example.com header.d=example.com;\r\n" +
            "\tsender-id=fail reason=\"192.0.2.10 is not permitted\"\r\n" +
            "\theader.from=alice@example.com;\r\n" +
            "\tspf=softfail smtp.mailfrom=bounce@example.com",
            edit.Value);
    }

    /// <summary>
    /// RFC 5322 §2.1.1: no line over 998 characters. A sending domain writes its own SPF explanation, so a reason can
    /// be any length and have no space to fold at: it is shortened. A value longer than any address is left out.
    /// </summary>
    [Theory]
    [InlineData("ReasonSpec")]
    [InlineData("Comment")]
    public async Task No_line_is_longer_than_998_whatever_comes_from_outside(string style)
    {
        var explanation = new string('A', 1280);
        var context = new FakeMessageContext()
            .Result("SenderId", new AuthenticationResult(AuthMethods.SenderId, AuthResultCode.Fail, explanation,
                [new AuthProperty("header", "from", new string('x', 1100) + "@example.com")]))
            .Result("SenderId", new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Fail, "é" + explanation,
                [new AuthProperty("smtp", "mailfrom", "example.com")]));
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new()
        {
            ["AuthResults:AuthservId"] = "mx.example.com",
            ["AuthResults:ReasonStyle"] = style,
        }), context);

        var value = OurHeader(context).Value!;
        Assert.All(("Authentication-Results:" + value).Split("\r\n"), line => Assert.True(line.Length <= 998, $"{line.Length} characters"));
        Assert.Contains(new string('A', 150) + "...", value);
        Assert.DoesNotContain("header.from", value);
        Assert.Contains("smtp.mailfrom=example.com", value);
    }

    [Fact]
    public async Task No_results_at_all_is_none()
    {
        var context = await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com" }), new FakeMessageContext());
        Assert.Equal(" mx.example.com; none", OurHeader(context).Value);
    }

    [Fact]
    public async Task A_none_result_recorded_by_a_plugin_is_written_as_such()
    {
        var context = new FakeMessageContext().Result("DomainKeys", new AuthenticationResult(AuthMethods.DomainKeys, AuthResultCode.None, "no signature"));
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com" }), context);
        Assert.Equal(" mx.example.com; domainkeys=none reason=\"no signature\"", OurHeader(context).Value);
    }

    [Fact]
    public async Task The_authserv_id_defaults_to_the_j_macro_then_the_host_name()
    {
        var context = new FakeMessageContext();
        context.MacroValues.Values["j"] = "mta.peers.test";
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(), context);
        Assert.Equal("mta.peers.test", Parsed(context).AuthservId);

        var configured = new FakeMessageContext();
        configured.MacroValues.Values["j"] = "mta.peers.test";
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "auth.example.com" }), configured);
        Assert.Equal("auth.example.com", Parsed(configured).AuthservId);

        var bare = await PluginHarness.RunAsync(PluginHarness.CreateFilter(), new FakeMessageContext());
        Assert.Equal(System.Net.Dns.GetHostName(), Parsed(bare).AuthservId);

        var blank = new FakeMessageContext();
        blank.MacroValues.Values["j"] = "  ";
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(), blank);
        Assert.Equal(System.Net.Dns.GetHostName(), Parsed(blank).AuthservId);
    }

    [Fact]
    public async Task The_j_macro_also_decides_which_headers_are_ours()
    {
        var context = new FakeMessageContext().Header("Authentication-Results", " MTA.peers.test; dkim=pass");
        context.MacroValues.Values["j"] = "mta.peers.test";
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(), context);
        Assert.Contains(context.QueuedEdits.Queued, e => e is { Kind: MessageEditKind.ChangeHeader, Index: 1, Value: null });
    }

    [Fact]
    public async Task Placement_Bottom_appends()
    {
        var context = await PluginHarness.RunAsync(
            PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com", ["AuthResults:Placement"] = "bottom" }), new FakeMessageContext());
        Assert.Equal(MessageEditKind.AddHeader, OurHeader(context).Kind);
    }

    [Fact]
    public async Task Reason_as_comment_when_configured()
    {
        var context = new FakeMessageContext().Result("DomainKeys", new AuthenticationResult(AuthMethods.DomainKeys, AuthResultCode.Neutral, "no signature",
            [new AuthProperty("header", "from", "a@example.com")]));
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com", ["AuthResults:ReasonStyle"] = "Comment" }), context);
        Assert.Equal(" mx.example.com; domainkeys=neutral (no signature) header.from=a@example.com", OurHeader(context).Value!.Replace("\r\n\t", " "));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // Plugins:Order as one comma-separated string, a form the host also takes
    public async Task A_failed_plugin_is_temperror_only_for_the_methods_configured_for_it_in_plugin_order(bool orderAsOneString)
    {
        var context = new FakeMessageContext()
            .Result("DomainKeys", new AuthenticationResult(AuthMethods.DomainKeys, AuthResultCode.Pass))
            .Result("SenderId", new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Pass, null, [new AuthProperty("smtp", "mailfrom", "a@example.com")]))
            .Result("Later", new AuthenticationResult("x-later", AuthResultCode.Pass));
        context.Failed.Add("SenderId");
        context.Failed.Add("Unmapped");
        var settings = new Dictionary<string, string?>
        {
            ["AuthResults:AuthservId"] = "mx.example.com",
            ["AuthResults:FailedPluginMethods:SenderId:0"] = "sender-id",
            ["AuthResults:FailedPluginMethods:SenderId:1"] = "spf",
        };
        if (orderAsOneString) settings["Plugins:Order"] = "DomainKeys, SenderId,Later,AuthResults";
        else
        {
            settings["Plugins:Order:0"] = "DomainKeys";
            settings["Plugins:Order:1"] = "SenderId";
            settings["Plugins:Order:2"] = "Later";
            settings["Plugins:Order:3"] = "AuthResults";
        }
        var filter = PluginHarness.CreateFilter(settings);
        await PluginHarness.RunAsync(filter, context);

        var results = Parsed(context).Results;
        // spf was recorded before SenderId threw: it stays as it was; sender-id gets temperror, before "Later".
        Assert.Equal(["domainkeys=pass", "spf=pass", "sender-id=temperror", "x-later=pass"], results.Select(r => $"{r.Method}={r.Result}"));
        Assert.Equal("internal error", results[2].Reason);
    }

    [Fact]
    public async Task A_failed_plugin_without_configured_methods_adds_nothing()
    {
        var context = new FakeMessageContext();
        context.Failed.Add("DomainKeys");
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com" }), context);
        Assert.Equal(" mx.example.com; none", OurHeader(context).Value);
    }

    [Fact]
    public async Task A_result_that_cannot_be_written_is_dropped_whole_and_the_others_are_kept()
    {
        var context = new FakeMessageContext()
            .Result("Bad", new AuthenticationResult("bad method", AuthResultCode.Pass))
            .Result("Bad", new AuthenticationResult("x-ok", AuthResultCode.Pass, null, [new AuthProperty("header", "bad_name", "v")]))
            .Result("Good", new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Pass, null, [new AuthProperty("smtp", "mailfrom", "a@example.com")]));
        await PluginHarness.RunAsync(PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com" }), context);
        Assert.Equal(" mx.example.com; spf=pass smtp.mailfrom=a@example.com", OurHeader(context).Value);
    }

    [Fact]
    public async Task Each_message_on_a_connection_gets_its_own_header()
    {
        var filter = PluginHarness.CreateFilter(new() { ["AuthResults:AuthservId"] = "mx.example.com" });
        var first = new FakeMessageContext().Result("SenderId", new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Fail));
        var second = new FakeMessageContext().Result("SenderId", new AuthenticationResult(AuthMethods.Spf, AuthResultCode.Pass));
        await PluginHarness.RunAsync(filter, first);
        await PluginHarness.RunAsync(filter, second);
        Assert.Equal(" mx.example.com; spf=fail", OurHeader(first).Value);
        Assert.Equal(" mx.example.com; spf=pass", OurHeader(second).Value);
    }
}
