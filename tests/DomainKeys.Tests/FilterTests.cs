using System.Text;
using System.Net;
using Milters.Abstractions;
using Milters.DomainKeys.Tests.Support;
using Milters.Testing.Dns;

namespace Milters.DomainKeys.Tests;

/// <summary>The filter driven event by event: signing, verifying what it signed, and dk-filter's -C actions.</summary>
public sealed class FilterTests
{
    private const string Message =
        "Received: from localhost by mta.example.com; Sun, 29 Nov 2026 10:00:00 +0000\r\n" +
        "From: Alice <alice@example.com>\r\n" +
        "To: bob@example.org\r\n" +
        "Subject: a folded\r\n\tsubject line\r\n" +
        "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n" +
        "Message-ID: <1@example.com>\r\n" +
        "\r\n" +
        "Hello  Bob,\r\n\r\nsee you.\r\n\r\n\r\n";

    private static (TestKeyTable Keys, InMemoryDnsResolver Dns) OneKey(string selector = "betatest", string domain = "example.com")
    {
        var (key, record) = TestKeyTable.NewKey(domain, selector);
        var dns = new InMemoryDnsResolver().AddTxt($"{selector}._domainkey.{domain}", TestData.SplitIntoStrings(record));
        return (new TestKeyTable().Add($"*@{domain}", key), dns);
    }

    private static async Task<(TestContext Context, TestMessage Signed)> SignAsync(TestKeyTable keys, InMemoryDnsResolver dns,
        Dictionary<string, string?>? settings = null, string message = Message, int chunk = 65536)
    {
        var filter = FilterFactory.Create(dns, keys, settings);
        var context = TestContext.Internal();
        var original = TestMessage.Parse(message);
        var verdict = await context.RunAsync(filter, original, chunk);
        Assert.Equal(VerdictKind.Continue, verdict.Kind);
        return (context, context.Delivered(original));
    }

    private static async Task<(Verdict Verdict, TestContext Context)> VerifyAsync(InMemoryDnsResolver dns, TestMessage message, Dictionary<string, string?>? settings = null)
    {
        var filter = FilterFactory.Create(dns, new TestKeyTable(), settings);
        var context = new TestContext();
        var verdict = await context.RunAsync(filter, message);
        return (verdict, context);
    }

    [Theory]
    [InlineData("simple", false)]
    [InlineData("nofws", false)]
    [InlineData("simple", true)]
    [InlineData("nofws", true)]
    public async Task Signs_mail_from_internal_hosts_and_the_result_verifies(string canon, bool headerList)
    {
        var (keys, dns) = OneKey();
        var (context, signed) = await SignAsync(keys, dns, new() { ["Canonicalization"] = canon, ["IncludeHeaderList"] = headerList.ToString() }, chunk: 5);
        var insert = Assert.Single(context.EditList.Queued);
        Assert.Equal(MessageEditKind.InsertHeader, insert.Kind);
        Assert.Equal(0, insert.Index);
        Assert.Equal("DomainKey-Signature", insert.Name);
        Assert.StartsWith($" a=rsa-sha1; q=dns; c={canon}; d=example.com; s=betatest;", insert.Value);
        // Received is a trace field, never signed: the h= list leaves it out either way.
        Assert.Contains("h=From:To:Subject:Date:Message-ID;", insert.Value!.Replace("\r\n\t", ""));
        Assert.All(insert.Value.Split("\r\n"), line => Assert.True(line.Length <= 78, line));
        Assert.Empty(context.ResultList); // signing is not verifying

        var (verdict, verified) = await VerifyAsync(dns, signed);
        Assert.Equal(VerdictKind.Continue, verdict.Kind);
        var r = Assert.Single(verified.ResultList);
        Assert.Equal(AuthResultCode.Pass, r.Result);
        Assert.Equal("domainkeys=pass header.d=example.com header.s=betatest header.from=alice@example.com", r.ToString());
    }

    [Fact]
    public async Task Without_header_list_and_trace_fields_no_h_tag_is_written()
    {
        var (keys, dns) = OneKey();
        var (context, signed) = await SignAsync(keys, dns, new() { ["IncludeHeaderList"] = "false" },
            message: "From: a@example.com\r\nSubject: s\r\n\r\nbody\r\n");
        Assert.DoesNotContain("h=", Assert.Single(context.EditList.Queued).Value);
        Assert.Equal(AuthResultCode.Pass, Assert.Single((await VerifyAsync(dns, signed)).Context.ResultList).Result);
    }

    [Fact]
    public async Task A_trace_field_added_below_the_signature_after_signing_does_not_break_it()
    {
        // What Postfix does: its own Received field is never shown to the milter but lands below the signature.
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var delivered = new TestMessage(signed.Headers.Take(1)
            .Append(new HeaderField("Received", " from hidden by mta.example.com; Sun, 29 Nov 2026 10:00:01 +0000"u8.ToArray()))
            .Concat(signed.Headers.Skip(1)).ToList(), signed.Body);
        Assert.Equal(AuthResultCode.Pass, Assert.Single((await VerifyAsync(dns, delivered)).Context.ResultList).Result);
    }

    /// <summary>
    /// Verifiers (ours, Mail::DKIM) take the last From: a signature for the first one's domain would fail everywhere.
    /// The last one's domain has no key here, so the message goes unsigned; the other way round it is signed and verifies.
    /// </summary>
    [Fact]
    public async Task Of_two_From_fields_the_last_decides_the_signing_domain()
    {
        var (keys, dns) = OneKey();
        var (context, _) = await SignAsync(keys, dns, message: "From: alice@example.com\r\nFrom: mallory@evil.example\r\nSubject: s\r\n\r\nbody\r\n");
        Assert.Empty(context.EditList.Queued);

        var (signing, signed) = await SignAsync(keys, dns, message: "From: mallory@evil.example\r\nFrom: alice@example.com\r\nSubject: s\r\n\r\nbody\r\n");
        Assert.Single(signing.EditList.Queued);
        Assert.Equal(AuthResultCode.Pass, Assert.Single((await VerifyAsync(dns, signed)).Context.ResultList).Result);
    }

    [Fact]
    public async Task A_Sender_without_a_mailbox_is_not_passed_over_for_From()
    {
        var (keys, dns) = OneKey();
        var (context, _) = await SignAsync(keys, dns, message: "From: alice@example.com\r\nSender: undisclosed-recipients:;\r\nSubject: s\r\n\r\nbody\r\n");
        Assert.Empty(context.EditList.Queued);
    }

    [Fact]
    public async Task Every_matching_key_signs_in_table_order_and_each_verifies()
    {
        var (k1, r1) = TestKeyTable.NewKey("example.com", "one");
        var (k2, r2) = TestKeyTable.NewKey("example.com", "two", 2048);
        var (k3, _) = TestKeyTable.NewKey("example.org", "other");
        var keys = new TestKeyTable().Add("*@example.com", k1).Add("*", k3).Add("example.com", k2);
        var dns = new InMemoryDnsResolver().AddTxt("one._domainkey.example.com", TestData.SplitIntoStrings(r1))
            .AddTxt("two._domainkey.example.com", TestData.SplitIntoStrings(r2));
        var (context, signed) = await SignAsync(keys, dns);

        // example.org is not a parent of example.com: that key would only make "bad identity" signatures.
        Assert.Equal([0, 1], context.EditList.Queued.Select(e => e.Index));
        Assert.Contains("s=one;", context.EditList.Queued[0].Value);
        Assert.Contains("s=two;", context.EditList.Queued[1].Value);
        Assert.All(context.EditList.Queued, e => Assert.Contains("h=", e.Value));

        var (_, verified) = await VerifyAsync(dns, signed);
        Assert.Equal(2, verified.ResultList.Count);
        Assert.All(verified.ResultList, r => Assert.Equal(AuthResultCode.Pass, r.Result));
    }

    [Fact]
    public async Task Omitted_headers_are_not_signed_and_may_change()
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns, new() { ["OmitHeaders:0"] = "Received", ["OmitHeaders:1"] = "to" });
        var changed = new TestMessage(signed.Headers.Select(h => h.Is("Received") || h.Is("To")
            ? new HeaderField(h.Name, " changed in transit"u8.ToArray()) : h).ToList(), signed.Body);
        var (_, verified) = await VerifyAsync(dns, changed);
        Assert.Equal(AuthResultCode.Pass, Assert.Single(verified.ResultList).Result);
    }

    [Fact]
    public async Task Never_signs_a_message_that_already_carries_a_signature()
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var filter = FilterFactory.Create(dns, keys);
        var context = TestContext.Internal();
        await context.RunAsync(filter, signed);
        Assert.Empty(context.EditList.Queued);
        Assert.Equal(AuthResultCode.Pass, Assert.Single(context.ResultList).Result); // verified instead
    }

    /// <summary>
    /// Found by fuzzing the whole session: a field name with a line break went into h= and the host refused the
    /// signature field, so the plugin failed and the message was temp-failed. Now the message passes unsigned.
    /// </summary>
    [Theory]
    [InlineData("Subje\nt")]
    [InlineData("Subject\r")]
    [InlineData("X-Ctl\u0001")]
    [InlineData("X\u007fDel")]
    [InlineData("X Spaced")]
    [InlineData("X:Colon")]
    [InlineData(" \t")]
    [InlineData("X-\uFFFDt\uFFFD")] // 8-bit bytes that were not UTF-8: the MTA's bytes cannot be hashed again
    public async Task A_field_name_no_signature_can_cover_leaves_the_message_unsigned(string name)
    {
        var (keys, dns) = OneKey();
        var message = TestMessage.Parse(Message);
        message.Headers.Insert(2, new HeaderField(name, "hi"u8.ToArray()));
        var context = TestContext.Internal();
        var verdict = await context.RunAsync(FilterFactory.Create(dns, keys), message);
        Assert.Equal(VerdictKind.Continue, verdict.Kind);
        Assert.Empty(context.EditList.Queued);
    }

    [Fact]
    public async Task White_space_before_the_colon_is_the_obsolete_form_and_still_signed()
    {
        var (keys, dns) = OneKey();
        var message = TestMessage.Parse(Message);
        message.Headers.Insert(2, new HeaderField("X-Obsolete \t", "hi"u8.ToArray()));
        var context = TestContext.Internal();
        await context.RunAsync(FilterFactory.Create(dns, keys), message);
        var insert = Assert.Single(context.EditList.Queued);
        Assert.Contains("x-obsolete", insert.Value, StringComparison.OrdinalIgnoreCase);
        var (_, verified) = await VerifyAsync(dns, context.Delivered(message));
        Assert.Equal(AuthResultCode.Pass, Assert.Single(verified.ResultList).Result);
    }

    [Fact]
    public async Task A_one_byte_change_fails()
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var body = (byte[])signed.Body.Clone();
        body[2] ^= 0x01;
        var (_, verified) = await VerifyAsync(dns, new TestMessage(signed.Headers, body));
        var r = Assert.Single(verified.ResultList);
        Assert.Equal(AuthResultCode.Fail, r.Result);
        Assert.Equal("bad signature", r.Reason);
    }

    /// <summary>
    /// DomainKeys:MaxSignatures bounds the signatures that need a key and a hash: junk fields put on top (six that
    /// cannot even be parsed) neither hide the good signature below them nor all land in the header.
    /// </summary>
    [Fact]
    public async Task Signatures_refused_on_sight_do_not_use_up_the_limit()
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var junk = Enumerable.Range(0, 6).Select(n => new HeaderField("DomainKey-Signature", Encoding.ASCII.GetBytes($" a=rsa-sha1; junk{n}; b=AAAA"))).ToList();
        var (_, verified) = await VerifyAsync(dns, new TestMessage([.. junk, .. signed.Headers], signed.Body));
        Assert.Single(verified.ResultList, r => r.Result == AuthResultCode.Pass);
        Assert.Equal(5, verified.ResultList.Count(r => r.Result == AuthResultCode.PermError));

        // Five signatures that each need their key: a sixth is not looked at.
        var others = Enumerable.Range(0, 5).Select(n => new HeaderField("DomainKey-Signature",
            Encoding.ASCII.GetBytes($" a=rsa-sha1; q=dns; c=nofws; d=example.com; s=absent{n}; b=AAAA"))).ToList();
        (_, verified) = await VerifyAsync(dns, new TestMessage([.. others, .. signed.Headers], signed.Body));
        Assert.Equal(5, verified.ResultList.Count);
        Assert.DoesNotContain(verified.ResultList, r => r.Result == AuthResultCode.Pass);
    }

    /// <summary>
    /// Fields refused on sight are cheap but not free (each copies the fields below and reads the sending address):
    /// ten times MaxSignatures are looked at, Mail::DKIM's 50 by default, and no more.
    /// </summary>
    [Theory]
    [InlineData(40, true)]
    [InlineData(60, false)]
    public async Task At_most_ten_times_MaxSignatures_fields_are_looked_at(int junk, bool goodOneSeen)
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var fields = Enumerable.Range(0, junk).Select(n => new HeaderField("DomainKey-Signature",
            Encoding.ASCII.GetBytes($" a=rsa-sha1; q=dns; c=simple; d=other{n}.example; s=s; b=AAAA"))).ToList();
        var (_, verified) = await VerifyAsync(dns, new TestMessage([.. fields, .. signed.Headers], signed.Body));
        Assert.Equal(goodOneSeen, verified.ResultList.Any(r => r.Result == AuthResultCode.Pass));
        Assert.Equal(5, verified.ResultList.Count(r => r.Result == AuthResultCode.PermError && r.Reason == "bad identity"));
    }

    /// <summary>Only SP and HTAB may stand between a field name and its colon: "From" + NBSP is another field.</summary>
    [Fact]
    public void A_name_with_a_no_break_space_is_not_the_field_it_looks_like()
    {
        var from = new HeaderField("From", " alice@example.com"u8.ToArray());
        var spaced = new HeaderField("From \t", " bob@example.com"u8.ToArray());
        var nbsp = new HeaderField("From\u00a0", " mallory@example.com"u8.ToArray());
        Assert.Equal([from, spaced], Milters.DomainKeys.Canonicalization.SignedHeaders.Select([from, nbsp, spaced], ["from", "from"]));
    }

    [Fact]
    public async Task Mail_from_outside_is_verified_not_signed()
    {
        var (keys, dns) = OneKey();
        var filter = FilterFactory.Create(dns, keys);
        var context = new TestContext();
        await context.RunAsync(filter, TestMessage.Parse(Message));
        Assert.Empty(context.EditList.Queued);
        var r = Assert.Single(context.ResultList);
        Assert.Equal(AuthResultCode.None, r.Result);
        Assert.Equal("domainkeys=none header.from=alice@example.com", r.ToString());
    }

    [Fact]
    public async Task Several_messages_on_one_connection_keep_apart()
    {
        var (keys, dns) = OneKey();
        var filter = FilterFactory.Create(dns, keys);
        var context = TestContext.Internal();
        var first = TestMessage.Parse(Message);
        await context.RunAsync(filter, first);
        var signedFirst = context.Delivered(first);
        var second = TestMessage.Parse(Message.Replace("see you.", "see you later."));
        await filter.AbortAsync(context); // an aborted transaction in between
        await context.RunAsync(filter, second);
        var signedSecond = context.Delivered(second);
        Assert.NotEqual(signedFirst.Headers[0].Value, signedSecond.Headers[0].Value);
        foreach (var m in new[] { signedFirst, signedSecond })
            Assert.Equal(AuthResultCode.Pass, Assert.Single((await VerifyAsync(dns, m)).Context.ResultList).Result);
    }

    [Fact]
    public async Task Empty_body_and_trailing_blank_lines_sign_and_verify()
    {
        var (keys, dns) = OneKey();
        foreach (var body in new[] { "", "\r\n\r\n\r\n", "x\r\n\r\n \r\n" })
        {
            var (_, signed) = await SignAsync(keys, dns, message: "From: a@example.com\r\nSubject: s\r\n\r\n" + body);
            // Trailing empty lines are outside the signature: adding more keeps it valid.
            var more = new TestMessage(signed.Headers, signed.Body.Concat("\r\n\r\n"u8.ToArray()).ToArray());
            Assert.Equal(AuthResultCode.Pass, Assert.Single((await VerifyAsync(dns, more)).Context.ResultList).Result);
        }
    }

    [Theory]
    [InlineData("BadSignature", "Reject", VerdictKind.Reject)]
    [InlineData("BadSignature", "Discard", VerdictKind.Discard)]
    [InlineData("BadSignature", "TempFail", VerdictKind.TempFail)]
    [InlineData("BadSignature", "Accept", VerdictKind.Continue)]
    public async Task Bad_signature_action(string result, string action, VerdictKind expected)
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var tampered = new TestMessage(signed.Headers, "tampered\r\n"u8.ToArray());
        var (verdict, _) = await VerifyAsync(dns, tampered, new() { [$"Actions:{result}"] = action });
        Assert.Equal(expected, verdict.Kind);
        if (expected == VerdictKind.Reject) Assert.Equal("550", verdict.Reply!.Code);
    }

    [Fact]
    public async Task Dns_errors_tempfail_by_default_and_can_be_accepted()
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        dns.Fail("betatest._domainkey.example.com", DnsStatus.ServerFailure);
        var (verdict, context) = await VerifyAsync(dns, signed);
        Assert.Equal(VerdictKind.TempFail, verdict.Kind);
        Assert.Equal(AuthResultCode.TempError, Assert.Single(context.ResultList).Result);
        var (accepted, _) = await VerifyAsync(dns, signed, new() { ["Actions:DnsError"] = "Accept" });
        Assert.Equal(VerdictKind.Continue, accepted.Kind);
    }

    [Fact]
    public async Task Missing_and_revoked_keys_are_permanent_errors()
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var none = new InMemoryDnsResolver();
        var r = Assert.Single((await VerifyAsync(none, signed)).Context.ResultList);
        Assert.Equal((AuthResultCode.PermError, "no key"), (r.Result, r.Reason));
        var revoked = new InMemoryDnsResolver().AddTxt("betatest._domainkey.example.com", "k=rsa; p=");
        r = Assert.Single((await VerifyAsync(revoked, signed)).Context.ResultList);
        Assert.Equal((AuthResultCode.PermError, "revoked"), (r.Result, r.Reason));
    }

    [Fact]
    public async Task No_signature_action_applies_to_unsigned_mail()
    {
        var (verdict, context) = await VerifyAsync(new InMemoryDnsResolver(), TestMessage.Parse(Message), new() { ["Actions:NoSignature"] = "Quarantine" });
        Assert.Equal(VerdictKind.Continue, verdict.Kind);
        Assert.Contains(context.EditList.Queued, e => e.Kind == MessageEditKind.Quarantine);
    }

    [Fact]
    public async Task Testing_keys_never_trigger_failure_actions()
    {
        var (keys, dns) = OneKey();
        var (_, signed) = await SignAsync(keys, dns);
        var rsa = keys.AllKeys[0].PrivateKey;
        var testing = new InMemoryDnsResolver().AddTxt("betatest._domainkey.example.com",
            TestData.SplitIntoStrings("t=y; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())));
        var tampered = new TestMessage(signed.Headers, "tampered\r\n"u8.ToArray());
        var (verdict, context) = await VerifyAsync(testing, tampered, new() { ["Actions:BadSignature"] = "Reject" });
        Assert.Equal(VerdictKind.Continue, verdict.Kind);
        Assert.Equal(AuthResultCode.Fail, Assert.Single(context.ResultList).Result);
    }

    [Fact]
    public async Task Filter_header_goes_above_the_signature()
    {
        var (keys, dns) = OneKey();
        var (context, signed) = await SignAsync(keys, dns, new() { ["AddFilterHeader"] = "true" });
        Assert.Equal("X-DomainKeys", signed.Headers[0].Name);
        Assert.Equal("DomainKey-Signature", signed.Headers[1].Name);
        Assert.Equal(AuthResultCode.Pass, Assert.Single((await VerifyAsync(dns, signed)).Context.ResultList).Result);
    }

    [Fact]
    public async Task Peers_are_not_processed()
    {
        var (keys, dns) = OneKey();
        var filter = FilterFactory.Create(dns, keys, new() { ["PeerHosts:0"] = "127.0.0.0/8" });
        var context = TestContext.Internal();
        await context.RunAsync(filter, TestMessage.Parse(Message));
        Assert.Empty(context.EditList.Queued);
        Assert.Empty(context.ResultList);
    }

    [Fact]
    public void Bad_options_are_refused_at_start()
    {
        var (keys, dns) = OneKey();
        Assert.Throws<InvalidOperationException>(() => FilterFactory.Create(dns, keys, new() { ["Mode"] = "x" }));
        Assert.Throws<InvalidOperationException>(() => FilterFactory.Create(dns, keys, new() { ["Canonicalization"] = "relaxed" }));
    }

    [Fact]
    public async Task Long_lines_and_eight_bit_text_sign_and_verify()
    {
        var (keys, dns) = OneKey();
        var longLine = new string('x', 5000) + " \u00e9t\u00e9\r\n";
        foreach (var canon in new[] { "simple", "nofws" })
        {
            var (_, signed) = await SignAsync(keys, dns, new() { ["Canonicalization"] = canon },
                message: "From: a@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?= \u00fc\r\n\r\n" + longLine, chunk: 1000);
            Assert.Equal(AuthResultCode.Pass, Assert.Single((await VerifyAsync(dns, signed)).Context.ResultList).Result);
        }
    }
}

public sealed class OptionsTests
{
    [Fact]
    public async Task Lists_may_be_comma_separated_strings()
    {
        var (key, record) = TestKeyTable.NewKey("example.com", "sel");
        var dns = new InMemoryDnsResolver().AddTxt("sel._domainkey.example.com", TestData.SplitIntoStrings(record));
        var filter = FilterFactory.Create(dns, new TestKeyTable().Add("*@example.com", key),
            new() { ["InternalHosts"] = "192.0.2.0/24, 10.0.0.0/8", ["OmitHeaders"] = "Received,To" });
        var context = new TestContext(); // 192.0.2.10: internal by the list above
        var message = TestMessage.Parse("Received: x\r\nFrom: a@example.com\r\nTo: b@example.org\r\n\r\nbody\r\n");
        await context.RunAsync(filter, message);
        var sig = Assert.Single(context.EditList.Queued);
        Assert.Contains("h=From;", sig.Value);
    }
}

public sealed class TraceFieldTests
{
    [Fact]
    public async Task Authentication_results_fields_are_never_signed()
    {
        var (key, record) = TestKeyTable.NewKey("example.com", "sel");
        var dns = new InMemoryDnsResolver().AddTxt("sel._domainkey.example.com", TestData.SplitIntoStrings(record));
        var filter = FilterFactory.Create(dns, new TestKeyTable().Add("*@example.com", key));
        var context = TestContext.Internal();
        var message = TestMessage.Parse("Authentication-Results: mx.example.com; none\r\nFrom: a@example.com\r\nSubject: s\r\n\r\nbody\r\n");
        await context.RunAsync(filter, message);
        var delivered = context.Delivered(message);
        // Unfolded: the formatter may break h= after a colon, wherever the line fills up.
        Assert.Contains("h=From:Subject;", System.Text.RegularExpressions.Regex.Replace(delivered.Headers[0].Value, "\r\n[ \t]+", ""));
        // A receiver removes the trace field: the signature still verifies.
        var stripped = new TestMessage(delivered.Headers.Where(h => !h.Is("Authentication-Results")).ToList(), delivered.Body);
        var verify = FilterFactory.Create(dns, new TestKeyTable());
        var check = new TestContext();
        await check.RunAsync(verify, stripped);
        Assert.Equal(AuthResultCode.Pass, Assert.Single(check.ResultList).Result);
    }
}

public sealed class BodySkipTests
{
    [Fact]
    public async Task Unsigned_mail_needs_no_body()
    {
        var filter = FilterFactory.Create(new InMemoryDnsResolver(), new TestKeyTable());
        var context = new TestContext();
        await filter.MailFromAsync(context);
        context.HeaderList.Add(new HeaderField("From", " a@example.org"u8.ToArray()));
        await filter.EndOfHeadersAsync(context);
        Assert.Equal(VerdictKind.Skip, (await filter.BodyChunkAsync(context, "body\r\n"u8.ToArray())).Kind);
        Assert.Equal(VerdictKind.Continue, (await filter.EndOfMessageAsync(context)).Kind);
        Assert.Equal(AuthResultCode.None, Assert.Single(context.ResultList).Result);
    }

    [Fact]
    public async Task Signed_mail_takes_every_chunk()
    {
        var filter = FilterFactory.Create(new InMemoryDnsResolver(), new TestKeyTable());
        var context = new TestContext();
        await filter.MailFromAsync(context);
        context.HeaderList.Add(new HeaderField("DomainKey-Signature", " a=rsa-sha1; q=dns; c=simple; d=example.org; s=x; b=AAAA"u8.ToArray()));
        context.HeaderList.Add(new HeaderField("From", " a@example.org"u8.ToArray()));
        await filter.EndOfHeadersAsync(context);
        Assert.Equal(VerdictKind.Continue, (await filter.BodyChunkAsync(context, "body\r\n"u8.ToArray())).Kind);
    }
}
