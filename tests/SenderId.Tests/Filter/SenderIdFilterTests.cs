using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Milters.Abstractions;
using Milters.Testing.Dns;

namespace Milters.SenderId.Tests.Filter;

/// <summary>The filter through the plugin's own DI wiring, against an in-memory zone.</summary>
public sealed class SenderIdFilterTests
{
    private static InMemoryDnsResolver Zone() => new InMemoryDnsResolver()
        .AddTxt("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
        .AddTxt("pra.example.net", "spf2.0/pra ip4:198.51.100.7 -all")
        .AddTxt("pra.example.net", "v=spf1 ip4:192.0.2.0/24 -all")
        .AddTxt("soft.example.org", "v=spf1 ~all")
        .AddTxt("helo.example.com", "v=spf1 a -all")
        .AddA("helo.example.com", "192.0.2.9")
        .Fail("broken.example", DnsStatus.ServerFailure);

    private static (SenderIdFilter Filter, SenderIdPlugin Plugin) Create(InMemoryDnsResolver dns, params (string Key, string Value)[] settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IDnsResolver>(dns);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        var plugin = new SenderIdPlugin();
        plugin.ConfigureServices(services, config);
        var provider = services.BuildServiceProvider();
        return ((SenderIdFilter)plugin.CreateFilter(provider), plugin);
    }

    private static async Task<Verdict> Run(SenderIdFilter filter, FakeMessageContext ctx, string mailFrom, params (string Name, string Value)[] headers)
    {
        Assert.Equal(VerdictKind.Continue, (await filter.ConnectAsync(ctx)).Kind);
        ctx.Envelope.MailFrom = mailFrom;
        Assert.Equal(VerdictKind.Continue, (await filter.MailFromAsync(ctx)).Kind);
        foreach (var (n, v) in headers) ctx.Header(n, v);
        var eoh = await filter.EndOfHeadersAsync(ctx);
        if (eoh.IsTerminal) return eoh;
        return await filter.EndOfMessageAsync(ctx);
    }

    [Fact]
    public async Task AuthorizedClientPassesBoth()
    {
        var (filter, _) = Create(Zone());
        var ctx = new FakeMessageContext("192.0.2.10");
        var verdict = await Run(filter, ctx, "alice@example.com", ("From", "Alice <alice@example.com>"));
        Assert.Equal(VerdictKind.Continue, verdict.Kind);
        Assert.Equal("sender-id=pass header.from=alice@example.com", ctx.Result("sender-id").ToString());
        // RFC 8601 §2.7.2: the local-part is left out when the policy did not use it.
        Assert.Equal("spf=pass smtp.mailfrom=example.com", ctx.Result("spf").ToString());
        Assert.Empty(ctx.Queued); // Received-SPF is off by default
    }

    [Fact]
    public async Task An_internationalized_PRA_is_checked_under_its_A_label_name()
    {
        var dns = Zone().AddTxt("xn--bcher-kva.example", "spf2.0/pra ip4:192.0.2.10 -all"); // bücher.example
        var (filter, _) = Create(dns);
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "alice@example.com", ("From", " Jörg <jörg@bücher.example>"));
        Assert.Equal(AuthResultCode.Pass, ctx.Result("sender-id").Result);
    }

    [Fact]
    public async Task PraScopeRecordTakesPrecedence()
    {
        var (filter, _) = Create(Zone());
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "bob@pra.example.net", ("From", "bob@pra.example.net"));
        Assert.Equal(AuthResultCode.Fail, ctx.Result("sender-id").Result);  // spf2.0/pra allows only 198.51.100.7
        Assert.Equal(AuthResultCode.Pass, ctx.Result("spf").Result);        // v=spf1 allows 192.0.2.0/24
    }

    [Fact]
    public async Task NoSpf1ForPraWhenTurnedOff()
    {
        var (filter, _) = Create(Zone(), ("UseSpf1ForPra", "false"));
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        Assert.Equal(AuthResultCode.None, ctx.Result("sender-id").Result);
    }

    [Fact]
    public async Task RejectModeTwoRejectsAFailWith550()
    {
        var (filter, _) = Create(Zone(), ("RejectMode", "2"));
        var ctx = new FakeMessageContext("203.0.113.5");
        var verdict = await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        Assert.Equal(VerdictKind.Reject, verdict.Kind);
        Assert.Equal("550 5.7.1 Rejected due to SPF policy for sender alice@example.com", verdict.Reply!.ToString());
        Assert.Equal(AuthResultCode.Fail, ctx.Result("spf").Result);
    }

    [Fact]
    public async Task The_mailfrom_keeps_its_local_part_when_the_policy_used_it()
    {
        var dns = Zone().AddTxt("lp.example", "v=spf1 exists:%{l}.users.lp.example -all").AddA("alice.users.lp.example", "127.0.0.2");
        var (filter, _) = Create(dns);
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "alice@lp.example", ("From", "alice@lp.example"));
        Assert.Equal("spf=pass smtp.mailfrom=alice@lp.example", ctx.Result("spf").ToString());
    }

    /// <summary>RFC 4406 §3.4: the MAIL FROM check is the mfrom scope, where an spf2.0/mfrom record comes before v=spf1.</summary>
    [Theory]
    [InlineData("spf2.0/mfrom ip4:198.51.100.7 -all", null, AuthResultCode.Pass)]
    [InlineData("spf2.0/mfrom,pra ip4:198.51.100.7 -all", null, AuthResultCode.Pass)]
    [InlineData("spf2.0/pra ip4:198.51.100.7 -all", null, AuthResultCode.Fail)]            // no mfrom scope: v=spf1
    [InlineData("spf2.0/mfrom ip4:198.51.100.7 -all", "false", AuthResultCode.Fail)]       // RFC 7208 alone: v=spf1
    public async Task The_mail_from_check_reads_spf2_mfrom_records_first(string spf2, string? useSpf2, AuthResultCode expected)
    {
        var dns = Zone().AddTxt("both.example", spf2).AddTxt("both.example", "v=spf1 -all");
        var (filter, _) = Create(dns, useSpf2 is null ? [] : [("UseSpf2ForMailFrom", useSpf2)]);
        var ctx = new FakeMessageContext("198.51.100.7");
        await Run(filter, ctx, "alice@both.example", ("From", "alice@example.com"));
        Assert.Equal(expected, ctx.Result("spf").Result);
    }

    [Fact]
    public async Task A_mail_from_without_at_sign_is_still_the_mailfrom_identity()
    {
        var (filter, _) = Create(Zone(), ("AddReceivedSpf", "true"), ("HostName", "mx.example.org"));
        var ctx = new FakeMessageContext("192.0.2.10", helo: "helo.example.com");
        await Run(filter, ctx, "postmaster", ("From", "alice@example.com"));
        var spf = ctx.Result("spf");
        Assert.Equal(AuthResultCode.None, spf.Result);
        Assert.Equal("smtp.mailfrom=postmaster", Assert.Single(spf.PropertyList).ToString());
        Assert.Contains("identity=mailfrom;", Assert.Single(ctx.Queued).Value);
    }

    /// <summary>
    /// -r 2 rejects when either check fails: a fail is not turned into 451 because the other check met a DNS error
    /// (sid-filter answered 451 first); a reject that hangs on the other result still waits for it.
    /// </summary>
    [Theory]
    [InlineData("2", VerdictKind.Reject)]
    [InlineData("5", VerdictKind.TempFail)]
    [InlineData("1", VerdictKind.TempFail)]
    [InlineData("4", VerdictKind.Reject)]
    public async Task A_definite_reject_is_not_held_up_by_the_other_checks_temperror(string mode, VerdictKind expected)
    {
        var (filter, _) = Create(Zone(), ("RejectMode", mode));
        var ctx = new FakeMessageContext("203.0.113.5");
        var verdict = await Run(filter, ctx, "alice@example.com", ("From", "x@broken.example"));
        Assert.Equal(AuthResultCode.Fail, ctx.Result("spf").Result);
        Assert.Equal(AuthResultCode.TempError, ctx.Result("sender-id").Result);
        Assert.Equal(expected, verdict.Kind);
        Assert.Equal(expected == VerdictKind.Reject ? "550" : "451", verdict.Reply!.Code);
    }

    [Fact]
    public async Task A_best_guess_says_so()
    {
        var dns = Zone().AddA("guess.example", "192.0.2.10");
        var (filter, _) = Create(dns, ("BestGuess", "true"), ("AddReceivedSpf", "true"), ("HostName", "mx.example.org"));
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "alice@guess.example", ("From", "alice@guess.example"));
        var spf = ctx.Result("spf");
        Assert.Equal(AuthResultCode.Pass, spf.Result);
        Assert.StartsWith("best guess", spf.Reason);
        Assert.StartsWith("best guess", ctx.Result("sender-id").Reason);
        Assert.Contains("(mx.example.org: best guess record: domain of alice@guess.example designates", Assert.Single(ctx.Queued).Value);
    }

    [Fact]
    public async Task RejectTextTemplate()
    {
        var (filter, _) = Create(Zone(), ("RejectMode", "2"), ("RejectText", "%t: %i may not send for %a"));
        var ctx = new FakeMessageContext("203.0.113.5");
        var verdict = await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        Assert.Equal("SPF: 203.0.113.5 may not send for alice@example.com", verdict.Reply!.Text);
    }

    [Fact]
    public async Task TestModeNeverRejects()
    {
        var (filter, _) = Create(Zone(), ("RejectMode", "2"), ("TestMode", "true"));
        var ctx = new FakeMessageContext("203.0.113.5");
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"))).Kind);
        Assert.Equal(AuthResultCode.Fail, ctx.Result("sender-id").Result);
    }

    [Fact]
    public async Task QuarantineInsteadOfReject()
    {
        var (filter, _) = Create(Zone(), ("RejectMode", "2"), ("Quarantine", "true"));
        var ctx = new FakeMessageContext("203.0.113.5");
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"))).Kind);
        var q = Assert.Single(ctx.Queued, e => e.Kind == MessageEditKind.Quarantine);
        Assert.Equal("Rejected due to SPF policy for sender alice@example.com", q.Value);
    }

    /// <summary>A milter client may send {auth_authen} after MAIL (DomainKeys signs on it at end of message): same here.</summary>
    [Fact]
    public async Task An_auth_macro_sent_after_MAIL_still_counts()
    {
        var (filter, _) = Create(Zone(), ("RejectMode", "4"));
        var ctx = new FakeMessageContext("203.0.113.5");
        Assert.Equal(VerdictKind.Continue, (await filter.ConnectAsync(ctx)).Kind);
        ctx.Envelope.MailFrom = "alice@example.com";
        await filter.MailFromAsync(ctx);
        ctx.Header("From", "alice@example.com");
        await filter.EndOfHeadersAsync(ctx);
        ctx.MacroValues["auth_authen"] = "alice";
        Assert.Equal(VerdictKind.Continue, (await filter.EndOfMessageAsync(ctx)).Kind);
        Assert.Equal("auth=pass smtp.auth=alice", ctx.Result("auth").ToString());
    }

    [Fact]
    public async Task AuthenticatedClientIsAccepted()
    {
        var (filter, _) = Create(Zone(), ("RejectMode", "4"));
        var ctx = new FakeMessageContext("203.0.113.5");
        ctx.MacroValues["auth_authen"] = "alice";
        ctx.MacroValues["auth_type"] = "PLAIN";
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"))).Kind);
        Assert.Equal("auth=pass smtp.auth=alice", ctx.Result("auth").ToString());
    }

    [Fact]
    public async Task DnsErrorTempFails451()
    {
        var (filter, _) = Create(Zone());
        var ctx = new FakeMessageContext("192.0.2.10");
        var verdict = await Run(filter, ctx, "x@broken.example", ("From", "x@broken.example"));
        Assert.Equal(VerdictKind.TempFail, verdict.Kind);
        Assert.Equal("451", verdict.Reply!.Code);
        Assert.Equal("4.7.0", verdict.Reply.EnhancedStatus);
        Assert.Equal(AuthResultCode.TempError, ctx.Result("spf").Result);
    }

    [Fact]
    public async Task DnsErrorBecomesSoftFailWithD()
    {
        var (filter, _) = Create(Zone(), ("SoftFailDnsErrors", "true"), ("RejectMode", "2"));
        var ctx = new FakeMessageContext("192.0.2.10");
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "x@broken.example", ("From", "x@broken.example"))).Kind);
        Assert.Equal(AuthResultCode.SoftFail, ctx.Result("spf").Result);
        Assert.Equal(AuthResultCode.SoftFail, ctx.Result("sender-id").Result);
    }

    [Fact]
    public async Task NullSenderChecksHeloAsPostmaster()
    {
        var (filter, _) = Create(Zone());
        var ctx = new FakeMessageContext("192.0.2.9", helo: "helo.example.com");
        await Run(filter, ctx, "", ("From", "MAILER-DAEMON@helo.example.com"));
        Assert.Equal("spf=pass smtp.helo=helo.example.com", ctx.Result("spf").ToString());
    }

    [Fact]
    public async Task MissingPraIsNeutralByDefault()
    {
        var (filter, _) = Create(Zone());
        var ctx = new FakeMessageContext("192.0.2.10");
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "alice@example.com", ("From", "a@example.com"), ("From", "b@example.com"))).Kind);
        Assert.Equal("sender-id=neutral (no PRA found)", ctx.Result("sender-id").ToString());
    }

    [Fact]
    public async Task MissingPraRejectedLikeSidFilterWhenAsked()
    {
        var (filter, _) = Create(Zone(), ("RejectMissingPra", "true"));
        var ctx = new FakeMessageContext("192.0.2.10");
        var verdict = await Run(filter, ctx, "alice@example.com", ("To", "x@example.org"));
        Assert.Equal("550 5.7.1 can't determine Purported Responsible Address", verdict.Reply!.ToString());
    }

    [Fact]
    public async Task IgnoredDomainIsNotChecked()
    {
        var (filter, _) = Create(Zone(), ("IgnoredDomains", "example.com"), ("RejectMode", "2"));
        var ctx = new FakeMessageContext("203.0.113.5");
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"))).Kind);
        Assert.Empty(ctx.Results);
    }

    /// <summary>sid-filter -d let mail go at MAIL FROM when the envelope sender's domain was listed, whatever the headers say.</summary>
    [Fact]
    public async Task IgnoredMailFromDomainIsNotCheckedWhateverThePra()
    {
        var (filter, _) = Create(Zone(), ("IgnoredDomains", "ignored.example"), ("RejectMode", "2"), ("RejectMissingPra", "true"));
        var ctx = new FakeMessageContext("203.0.113.5");
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "bounce@Ignored.Example", ("From", "alice@example.com"))).Kind);
        Assert.Empty(ctx.Results);

        ctx = new FakeMessageContext("203.0.113.5");
        Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "bounce@ignored.example", ("To", "x@example.org"))).Kind);
        Assert.Empty(ctx.Results);

        // The same filter still checks everything else on the connection.
        ctx = new FakeMessageContext("203.0.113.5");
        Assert.Equal(VerdictKind.Reject, (await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"))).Kind);
    }

    [Theory]
    [InlineData("203.0.113.5", true)]
    [InlineData("2001:db8::5", true)]
    [InlineData("203.0.113.99", false)]
    public async Task PeersAreSkipped(string ip, bool skipped)
    {
        var (filter, _) = Create(Zone(), ("Peers:0", "!203.0.113.99"), ("Peers:1", "203.0.113.0/24"), ("Peers:2", "2001:db8::/32"), ("RejectMode", "2"));
        var ctx = new FakeMessageContext(ip);
        var verdict = await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        Assert.Equal(skipped, ctx.Results.Count == 0);
        Assert.Equal(skipped ? VerdictKind.Continue : VerdictKind.Reject, verdict.Kind);
    }

    [Fact]
    public async Task PeerListFileLikeSidFilterDashA()
    {
        var file = Path.Combine(Path.GetTempPath(), $"sid-peers-{Guid.NewGuid():N}");
        File.WriteAllLines(file, ["# trusted relays", "client.example.com", "198.51.100.0/24"]);
        try
        {
            var (filter, _) = Create(Zone(), ("PeerListFile", file), ("RejectMode", "2"));
            var ctx = new FakeMessageContext("203.0.113.5", host: "client.example.com");
            Assert.Equal(VerdictKind.Continue, (await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"))).Kind);
            Assert.Empty(ctx.Results);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void MissingPeerListFileIsAnError() =>
        Assert.Contains("SenderId:PeerListFile", Assert.Throws<InvalidOperationException>(() => Create(Zone(), ("PeerListFile", "/nonexistent/peers"))).Message);

    [Fact]
    public async Task HeloCheckWhenAsked()
    {
        var (filter, _) = Create(Zone(), ("CheckHelo", "true"));
        var ctx = new FakeMessageContext("192.0.2.9", helo: "helo.example.com");
        await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        var spf = ctx.Results.Where(r => r.Method == "spf").Select(r => r.ToString()).ToList();
        Assert.Equal(["spf=pass smtp.mailfrom=example.com", "spf=pass smtp.helo=helo.example.com"], spf);
    }

    [Fact]
    public async Task ReceivedSpfHeaderWhenAsked()
    {
        var (filter, _) = Create(Zone(), ("AddReceivedSpf", "true"), ("HostName", "mx.example.org"));
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        var h = Assert.Single(ctx.Queued);
        Assert.Equal(MessageEditKind.InsertHeader, h.Kind);
        Assert.Equal("Received-SPF", h.Name);
        Assert.StartsWith(" pass (mx.example.org: domain of alice@example.com designates 192.0.2.10 as permitted sender)", h.Value);
        Assert.Contains("client-ip=192.0.2.10;", h.Value);
        Assert.Contains("envelope-from=\"alice@example.com\";", h.Value);
        Assert.Contains("identity=mailfrom;", h.Value);
    }

    /// <summary>sid-filter -h: the field is named as sid-filter named it (XHEADERNAME "X-SenderID"), so rules matching it keep working.</summary>
    [Fact]
    public async Task FilterHeaderHasSidFiltersName()
    {
        var (filter, _) = Create(Zone(), ("AddFilterHeader", "true"), ("HostName", "mx.example.org"));
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        var h = Assert.Single(ctx.Queued);
        Assert.Equal("X-SenderID", h.Name);
        Assert.StartsWith(" milters SenderId ", h.Value);
        Assert.Contains(" mx.example.org ", h.Value);
    }

    /// <summary>
    /// A milter client can send anything (real MTAs keep a CR out of the HELO name: SenderIdThroughMtaTests): no line
    /// break from the HELO name or the envelope sender may start a new header line (the host would refuse the edit
    /// and the plugin fail, and the message be temp-failed).
    /// </summary>
    [Fact]
    public async Task ReceivedSpfHeaderKeepsLineBreaksFromOutsideOut()
    {
        var (filter, _) = Create(Zone(), ("AddReceivedSpf", "true"), ("HostName", "mx.example.org"));
        var ctx = new FakeMessageContext("192.0.2.10", helo: "mail\r.example.com\nX-Injected: yes");
        var verdict = await Run(filter, ctx, "ali\rce@example.com", ("From", "alice@example.com"));
        Assert.Equal(VerdictKind.Continue, verdict.Kind);
        var h = Assert.Single(ctx.Queued);
        Assert.Equal("Received-SPF", h.Name);
        // Only the formatter's own folds: CRLF followed by a tab.
        var value = h.Value!;
        for (var i = 0; i < value.Length; i++)
            if (value[i] is '\r' or '\n')
            {
                Assert.True(value[i] == '\r' && i + 2 < value.Length && value[i + 1] == '\n' && value[i + 2] == '\t', value);
                i++;
            }
        Assert.Contains("helo=\"mail .example.com X-Injected: yes\";", value);
        Assert.Contains("envelope-from=\"ali ce@example.com\";", value);
    }

    /// <summary>RFC 5322 §2.1.1: no line over 998 characters, however long the HELO name and the sender a client sends.</summary>
    [Fact]
    public async Task ReceivedSpfHeaderLinesStayWithin998()
    {
        var (filter, _) = Create(Zone(), ("AddReceivedSpf", "true"), ("HostName", "mx.example.org"), ("CheckHelo", "true"));
        var ctx = new FakeMessageContext("192.0.2.10", helo: new string('h', 1100) + ".example");
        await Run(filter, ctx, new string('a', 1100) + "@example.com", ("From", "alice@example.com"));
        var h = Assert.Single(ctx.Queued);
        Assert.All(("Received-SPF:" + h.Value).Split("\r\n"), line => Assert.True(line.Length <= 998, $"{line.Length} characters"));
        Assert.Contains("identity=mailfrom;", h.Value);
        Assert.DoesNotContain("helo=", h.Value);
    }

    /// <summary>
    /// RFC 7208 §7.3: %{r} is the checking host's name; "unknown" only when there is none. Without SenderId:HostName
    /// it is the MTA's name (macro j), as for the headers (an independent review found "unknown" in explanations).
    /// </summary>
    [Theory]
    [InlineData(null, "mx.receiver.example")]
    [InlineData("configured.example", "configured.example")]
    public async Task The_r_macro_names_this_host(string? hostName, string expected)
    {
        var dns = new InMemoryDnsResolver()
            .AddTxt("x.example", "v=spf1 exp=e.x.example -all").AddTxt("e.x.example", "checked by %{r}");
        var (filter, _) = hostName is null ? Create(dns) : Create(dns, ("HostName", hostName));
        var ctx = new FakeMessageContext("192.0.2.10");
        ctx.MacroValues["j"] = "mx.receiver.example";
        await Run(filter, ctx, "alice@x.example", ("From", "alice@x.example"));
        Assert.Equal($"checked by {expected}", ctx.Result("spf").Reason);
        Assert.Equal($"checked by {expected}", ctx.Result("sender-id").Reason);
    }

    [Fact]
    public async Task SecondMessageOnTheConnectionStartsClean()
    {
        var (filter, _) = Create(Zone());
        var ctx = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx, "alice@example.com", ("From", "alice@example.com"));
        await filter.AbortAsync(ctx);
        var ctx2 = new FakeMessageContext("192.0.2.10");
        await Run(filter, ctx2, "carol@soft.example.org", ("From", "carol@soft.example.org"));
        Assert.Equal(AuthResultCode.SoftFail, ctx2.Result("spf").Result);
        Assert.Equal("header.from=carol@soft.example.org", Assert.Single(ctx2.Result("sender-id").PropertyList).ToString());
    }

    [Fact]
    public void BadOptionNamesTheKey()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Create(Zone(), ("RejectMode", "7")));
        Assert.Contains("SenderId:RejectMode", e.Message);
    }
}
