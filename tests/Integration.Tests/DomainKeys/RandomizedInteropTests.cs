using System.Text;
using System.Text.Json.Nodes;
using Milters.Testing.Milter;
using Milters.Testing.Peers;
using Milters.Testing;

namespace Milters.Integration.Tests.DomainKeys;

/// <summary>
/// Seeded random messages (<see cref="RandomMessages"/>) through the real milter protocol to the built host,
/// checked against an independent implementation, Mail::DKIM: every message we sign verifies there, in each
/// canonicalization with and without h=; every message it signs verifies here; and a body changed by one
/// letter fails on both sides. MILTERS_RANDOM_SEED=N runs another sequence (the seed is in every failure).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RandomizedInteropTests
{
    private const int Count = 30;
    private static readonly int Seed = RandomSeed.Or(4870);

    private static List<string> Messages()
    {
        var generator = new RandomMessages(Seed);
        return Enumerable.Range(0, Count).Select(_ => generator.Next()).ToList();
    }

    /// <summary>One letter of the body changed (null for a body without letters).</summary>
    private static string? ChangeBody(string message)
    {
        var bodyStart = message.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        for (var i = bodyStart; i < message.Length; i++)
            if (message[i] is >= 'a' and <= 'z')
                return message[..i] + (message[i] == 'a' ? 'b' : 'a') + message[(i + 1)..];
        return null;
    }

    private static string Describe(int index, string message) =>
        $"seed {Seed}, message {index}:\n{message.Replace("\t", "<TAB>").Replace("\r\n", "<CRLF>\n")}";

    [Theory]
    [InlineData("simple", true)]
    [InlineData("simple", false)]
    [InlineData("nofws", true)]
    [InlineData("nofws", false)]
    public async Task What_we_sign_mail_dkim_verifies(string canonicalization, bool headerList)
    {
        using var dk = DomainKeysMilter.Start(new JsonObject { ["Canonicalization"] = canonicalization, ["IncludeHeaderList"] = headerList });
        using var dir = new TempDir("dk-random-sign");
        var messages = Messages();
        var signed = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var eom = await dk.SendAsync(i % 2 == 0 ? MtaOffer.Postfix : MtaOffer.Sendmail, "127.0.0.1", messages[i]);
            Assert.True(eom.AddedHeaders.Any(h => h.Name == "DomainKey-Signature"), Describe(i, messages[i]) + "\n" + dk.Milter.Output);
            signed.Add(DomainKeysMilter.Apply(messages[i], eom));
            File.WriteAllBytes(dir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(signed[i]));
            var changed = ChangeBody(signed[i]);
            if (changed is not null) File.WriteAllBytes(dir[$"{i:D3}-changed.eml"], Encoding.UTF8.GetBytes(changed));
        }

        var verdicts = dk.PerlVerifyBatch(dir.Path);
        var wrong = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var verdict = verdicts[$"{i:D3}.eml"];
            if (!verdict.StartsWith("result=pass", StringComparison.Ordinal)) wrong.Add($"{Describe(i, signed[i])}\nMail::DKIM: {verdict}");
            if (verdicts.TryGetValue($"{i:D3}-changed.eml", out var changed) && !changed.StartsWith("result=fail", StringComparison.Ordinal))
                wrong.Add($"{Describe(i, signed[i])}\nMail::DKIM on the changed body: {changed}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {messages.Count} ({canonicalization}, h= {headerList}):\n" + string.Join("\n\n", wrong));
    }

    [Theory]
    [InlineData("simple")]
    [InlineData("nofws")]
    public async Task What_mail_dkim_signs_we_verify(string method)
    {
        using var dk = DomainKeysMilter.Start();
        using var dir = new TempDir("dk-random-verify");
        var messages = Messages();
        for (var i = 0; i < messages.Count; i++) File.WriteAllBytes(dir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(messages[i]));
        dk.PerlSignBatch(dir.Path, method);

        var wrong = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var signed = Encoding.UTF8.GetString(File.ReadAllBytes(dir[$"{i:D3}.eml.signed"]));
            var offer = i % 2 == 0 ? MtaOffer.Postfix : MtaOffer.Sendmail;
            var results = AuthenticationResults(await dk.SendAsync(offer, "203.0.113.9", signed));
            if (!results.Contains("domainkeys=pass", StringComparison.Ordinal)) wrong.Add($"{Describe(i, signed)}\nours: {results}");

            var changed = ChangeBody(signed);
            if (changed is null) continue;
            var changedResults = AuthenticationResults(await dk.SendAsync(offer, "203.0.113.9", changed));
            if (!changedResults.Contains("domainkeys=fail", StringComparison.Ordinal)) wrong.Add($"{Describe(i, changed)}\nours on the changed body: {changedResults}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {messages.Count} ({method}):\n" + string.Join("\n\n", wrong) + "\n" + dk.Milter.Output);
    }

    /// <summary>
    /// Mail::DKIM's signatures rewritten as RFC 4870 §3.2.1's tag-list still allows — tags in another order,
    /// whitespace and folds around "=", ";" and the h= colons and inside b=, a trailing ";" — are read alike by
    /// Mail::DKIM and by us (the signature field is not itself hashed, so only its parsing is tried).
    /// </summary>
    [Fact]
    public async Task Signatures_written_differently_are_read_alike()
    {
        using var dk = DomainKeysMilter.Start();
        using var dir = new TempDir("dk-random-format");
        var messages = Messages();
        for (var i = 0; i < messages.Count; i++) File.WriteAllBytes(dir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(messages[i]));
        dk.PerlSignBatch(dir.Path, "nofws");

        var random = new Random(Seed);
        var rewritten = new List<string>();
        using var checkDir = new TempDir("dk-random-format-check");
        for (var i = 0; i < messages.Count; i++)
        {
            var signed = Encoding.UTF8.GetString(File.ReadAllBytes(dir[$"{i:D3}.eml.signed"]));
            var end = signed.IndexOf("\r\n", StringComparison.Ordinal);
            while (signed[end + 2] is ' ' or '\t') end = signed.IndexOf("\r\n", end + 2, StringComparison.Ordinal);
            const string Name = "DomainKey-Signature:";
            Assert.StartsWith(Name, signed);
            rewritten.Add(Name + Rewrite(signed[Name.Length..end], random) + signed[end..]);
            File.WriteAllBytes(checkDir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(rewritten[i]));
        }

        var verdicts = dk.PerlVerifyBatch(checkDir.Path);
        var wrong = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var theirs = verdicts[$"{i:D3}.eml"];
            var ours = AuthenticationResults(await dk.SendAsync(MtaOffer.Postfix, "203.0.113.9", rewritten[i]));
            var theyPass = theirs.StartsWith("result=pass", StringComparison.Ordinal);
            var wePass = ours.Contains("domainkeys=pass", StringComparison.Ordinal);
            if (!theyPass || !wePass) wrong.Add($"{Describe(i, rewritten[i])}\nMail::DKIM: {theirs}\nours: {ours}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {messages.Count}:\n" + string.Join("\n\n", wrong));
    }

    /// <summary>
    /// Key records written many ways (DKIM's v=, h=, s= in a shared selector, k=, g= against the signer's local
    /// part, t= flags, notes, revoked, another key, a broken p=), one selector each: Mail::DKIM and we reach the
    /// same verdict — pass, fail, or unusable (its "invalid", our permerror) — on a message signed for it.
    /// </summary>
    [Fact]
    public async Task Key_records_written_many_ways_get_the_same_verdict()
    {
        var random = new Random(Seed);
        var records = Enumerable.Range(0, Count).Select(_ => RandomKeyRecord(random)).ToList();
        using var other = System.Security.Cryptography.RSA.Create(1024);
        var otherKey = Convert.ToBase64String(other.ExportSubjectPublicKeyInfo());
        using var dk = DomainKeysMilter.Start(moreZone: p => string.Concat(records.Select((r, i) =>
            DomainKeysMilter.Txt($"r{i}._domainkey.{DomainKeysMilter.Domain}", r.Replace("{P}", p).Replace("{OTHER}", otherKey).Replace("{PKCS1}", Pkcs1(p))))));
        using var dir = new TempDir("dk-random-keys");
        // Every third message sent from a subdomain of d= (allowed, RFC 4870 §3.5, unless the key says t=s).
        var messages = Messages().Select((m, i) => i % 3 == 1 ? FromSubdomain(m) : m).ToList();
        for (var i = 0; i < messages.Count; i++) File.WriteAllBytes(dir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(messages[i]));
        dk.PerlSignBatch(dir.Path, "nofws");

        using var checkDir = new TempDir("dk-random-keys-check");
        var moved = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            // s= is in the signature field, which is not hashed: the signature stays good under another selector.
            var signed = Encoding.UTF8.GetString(File.ReadAllBytes(dir[$"{i:D3}.eml.signed"]));
            Assert.Contains($"s={DomainKeysMilter.Selector};", signed);
            moved.Add(signed.Replace($"s={DomainKeysMilter.Selector};", $"s=r{i};"));
            File.WriteAllBytes(checkDir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(moved[i]));
        }

        var verdicts = dk.PerlVerifyBatch(checkDir.Path);
        var wrong = new List<string>();
        var seen = new HashSet<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var theirs = verdicts[$"{i:D3}.eml"].Split('\n')[0]["result=".Length..];
            var ours = AuthenticationResults(await dk.SendAsync(MtaOffer.Postfix, "203.0.113.9", moved[i]));
            var oursToken = Verdict(ours);
            seen.Add(theirs);
            if (theirs != oursToken) wrong.Add($"seed {Seed}, record r{i}: \"{records[i]}\"\nMail::DKIM: {verdicts[$"{i:D3}.eml"]}\nours: {ours}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Count}:\n" + string.Join("\n\n", wrong));
        Assert.True(seen.Count >= 2, "the records should not all give one verdict: " + string.Join(", ", seen));
    }

    /// <summary>
    /// Changes to a Mail::DKIM signature's tags, each judged as Mail::DKIM judges it — except where the third
    /// column says otherwise: an element without "=" makes the tag-list a permerror here, where Mail::DKIM
    /// reports no result at all. Missing, empty or damaged b= data is a signature that does not verify on both
    /// sides (fail); of a tag given twice the last counts on both sides.
    /// </summary>
    public static IEnumerable<object?[]> SignatureChanges() => new (string Name, Func<string, string> Change, string? Ours)[]
    {
        ("no q=", v => Without(v, "q"), null),
        ("q=txt", v => Set(v, "q", "txt"), null),
        ("a=rsa-sha256", v => Set(v, "a", "rsa-sha256"), null),
        ("no a=", v => Without(v, "a"), null),
        ("c=relaxed", v => Set(v, "c", "relaxed"), null),
        ("c=simple (signed nofws)", v => Set(v, "c", "simple"), null),
        ("no c= (simple)", v => Without(v, "c"), null),
        ("d= another domain", v => Set(v, "d", "example.org"), null),
        ("d= a subdomain", v => Set(v, "d", "sub.example.com"), null),
        ("d= upper case", v => Set(v, "d", "EXAMPLE.COM"), null),
        ("no d=", v => Without(v, "d"), null),
        ("no s=", v => Without(v, "s"), null),
        ("s= unpublished", v => Set(v, "s", "nosuch"), null),
        ("b= shortened", v => Set(v, "b", Tag(v, "b")![4..]), null),
        ("b= with characters outside base64", v => Set(v, "b", Tag(v, "b")!.Insert(10, "!*").Insert(40, ".")), null),
        ("h= upper case", v => Set(v, "h", Tag(v, "h")!.ToUpperInvariant()), null),
        ("h= without from", v => Set(v, "h", string.Join(':', Tag(v, "h")!.Split(':').Where(n => n != "from"))), null),
        ("h= with an absent field", v => Set(v, "h", Tag(v, "h") + ":x-absent"), null),
        ("no h= (all fields)", v => Without(v, "h"), null),
        ("empty h= (all fields)", v => Set(v, "h", ""), null),
        ("empty a= (the default)", v => Set(v, "a", ""), null),
        ("unknown tag", v => v + "; x=whatever", null),
        ("no b=", v => Without(v, "b"), null),
        ("empty b=", v => Set(v, "b", ""), null),
        ("b= not base64", v => Set(v, "b", "!!!!"), null),
        ("a= twice", v => v + "; a=rsa-sha1", null),
        ("d= twice, the last another domain", v => v + "; d=example.org", null),
        ("tag without =", v => v + "; junk", "invalid"),
    }.Select(c => new object?[] { c.Name, c.Change, c.Ours });

    /// <summary>A message Mail::DKIM signed (nofws, h= of every field), its signature's tags changed each way.</summary>
    [Fact]
    public async Task A_changed_signature_gets_the_same_verdict()
    {
        using var dk = DomainKeysMilter.Start();
        using var dir = new TempDir("dk-sig-change");
        File.WriteAllBytes(dir["000.eml"], Encoding.UTF8.GetBytes(
            "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: tags\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n\r\nHello  Bob,\r\n\r\n"));
        dk.PerlSignBatch(dir.Path, "nofws");
        var signed = Encoding.UTF8.GetString(File.ReadAllBytes(dir["000.eml.signed"]));
        const string Name = "DomainKey-Signature:";
        var end = signed.IndexOf("\r\n", StringComparison.Ordinal);
        var value = signed[Name.Length..end].Trim();

        var changes = SignatureChanges().ToList();
        using var check = new TempDir("dk-sig-change-check");
        var changed = changes.Select(c => Name + " " + ((Func<string, string>)c[1]!)(value) + signed[end..]).ToList();
        for (var i = 0; i < changed.Count; i++) File.WriteAllBytes(check[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(changed[i]));
        var verdicts = dk.PerlVerifyBatch(check.Path);

        var wrong = new List<string>();
        for (var i = 0; i < changed.Count; i++)
        {
            var theirs = verdicts[$"{i:D3}.eml"];
            var ours = AuthenticationResults(await dk.SendAsync(i % 2 == 0 ? MtaOffer.Sendmail : MtaOffer.Postfix, "203.0.113.9", changed[i]));
            var theirToken = theirs.Split('\n')[0]["result=".Length..];
            var ourToken = Verdict(ours);
            var expected = (string?)changes[i][2] ?? theirToken;
            if (expected != ourToken)
                wrong.Add($"{changes[i][0]}: {changed[i][..changed[i].IndexOf("\r\n", StringComparison.Ordinal)]}\nMail::DKIM: {theirs}\nours: {ours}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {changed.Count}:\n" + string.Join("\n\n", wrong));
    }

    private static string? Tag(string value, string name) =>
        value.Split(';').Select(t => t.Trim()).FirstOrDefault(t => t.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    private static string Without(string value, string name) =>
        string.Join("; ", value.Split(';').Select(t => t.Trim()).Where(t => t.Length > 0 && !t.StartsWith(name + "=", StringComparison.Ordinal)));

    private static string Set(string value, string name, string tagValue) =>
        string.Join("; ", value.Split(';').Select(t => t.Trim()).Where(t => t.Length > 0)
            .Select(t => t.StartsWith(name + "=", StringComparison.Ordinal) ? $"{name}={tagValue}" : t));

    /// <summary>The same public key as a bare PKCS#1 RSAPublicKey, which neither side takes for p=.</summary>
    private static string Pkcs1(string subjectPublicKeyInfo)
    {
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(subjectPublicKeyInfo), out _);
        return Convert.ToBase64String(rsa.ExportRSAPublicKey());
    }

    /// <summary>The message with its sending addresses moved to a subdomain of example.com.</summary>
    private static string FromSubdomain(string message) =>
        message.Replace("alice@example.com", "alice@mail.example.com").Replace("carol@example.com", "carol@mail.example.com");

    /// <summary>A key record for selector rN: {P} is the signer's public key, {OTHER} another one.</summary>
    private static string RandomKeyRecord(Random random)
    {
        string? Maybe(int percent, params string[] values) => random.Next(100) < percent ? values[random.Next(values.Length)] : null;
        var tags = new List<string>();
        void Add(string name, string? value) { if (value is not null) tags.Add($"{name}={value}"); }
        Add("k", Maybe(50, "rsa", "rsa", "rsa", "dsa"));
        Add("h", Maybe(40, "sha1", "sha256", "sha1:sha256", "sha256:sha1", "sha256"));
        Add("s", Maybe(30, "email", "*", "tlsrpt", "email:tlsrpt"));
        Add("g", Maybe(40, "", "alice", "al*", "bob", "*", "a*e", "*x"));
        Add("t", Maybe(30, "y", "s", "y:s"));
        Add("n", Maybe(20, "notes for humans"));
        Add("p", random.Next(100) switch { < 75 => "{P}", < 82 => "", < 89 => "{OTHER}", < 95 => "{PKCS1}", _ => "AAAA" });
        for (var i = tags.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (tags[i], tags[j]) = (tags[j], tags[i]);
        }
        // v= comes first when present (RFC 6376 §3.6.1).
        var v = Maybe(25, "DKIM1", "DKIM1", "DKIM1", "DKIM2");
        if (v is not null) tags.Insert(0, "v=" + v);
        return string.Join(random.Next(2) == 0 ? "; " : ";", tags) + (random.Next(4) == 0 ? ";" : "");
    }

    /// <summary>The tag-list of a signature field's value written another valid way.</summary>
    private static string Rewrite(string value, Random random)
    {
        string Space() => random.Next(4) switch { 0 => "", 1 => " ", 2 => "\t ", _ => "\r\n\t" };
        var tags = value.Replace("\r\n", "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => (Name: t[..t.IndexOf('=')].Trim(), Value: t[(t.IndexOf('=') + 1)..].Trim())).ToList();
        for (var i = tags.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (tags[i], tags[j]) = (tags[j], tags[i]);
        }
        var text = new StringBuilder();
        foreach (var (name, raw) in tags)
        {
            var tagValue = raw.Replace(" ", "").Replace("\t", "");
            if (name == "b")
            {
                var b = new StringBuilder();
                for (var at = 0; at < tagValue.Length;)
                {
                    var n = Math.Min(tagValue.Length - at, 1 + random.Next(60));
                    b.Append(tagValue, at, n);
                    at += n;
                    if (at < tagValue.Length) b.Append(Space());
                }
                tagValue = b.ToString();
            }
            else if (name == "h")
            {
                tagValue = string.Join(Space() + ":" + Space(), tagValue.Split(':'));
            }
            text.Append(text.Length == 0 ? " " : Space()).Append(name).Append(Space()).Append('=').Append(Space()).Append(tagValue).Append(Space()).Append(';');
        }
        // No trailing ";" now and then — and never a fold at the very end (a continuation line of whitespace alone).
        return (random.Next(2) == 0 ? text.ToString(0, text.Length - 1) : text.ToString()).TrimEnd(' ', '\t', '\r', '\n');
    }

    /// <summary>Our Authentication-Results in Mail::DKIM's words: pass, fail, invalid (permerror), none.</summary>
    internal static string Verdict(string authenticationResults) =>
        authenticationResults.Contains("domainkeys=pass", StringComparison.Ordinal) ? "pass"
        : authenticationResults.Contains("domainkeys=fail", StringComparison.Ordinal) ? "fail"
        : authenticationResults.Contains("domainkeys=permerror", StringComparison.Ordinal) ? "invalid"
        : authenticationResults.Contains("domainkeys=none", StringComparison.Ordinal) || !authenticationResults.Contains("domainkeys=", StringComparison.Ordinal) ? "none"
        : authenticationResults;

    /// <summary>
    /// Messages we signed (simple and nofws), each then changed in one random place — a letter or digit anywhere,
    /// the signature field included, or a space or tab put in or taken out of a line —: Mail::DKIM and we reach
    /// the same verdict (a white-space change passes nofws and fails simple, a change in b= or d= fails or makes
    /// the signature unusable, …).
    /// </summary>
    [Theory]
    [InlineData("simple")]
    [InlineData("nofws")]
    public async Task Messages_changed_in_one_random_place_get_the_same_verdict(string canonicalization)
    {
        using var dk = DomainKeysMilter.Start(new JsonObject { ["Canonicalization"] = canonicalization });
        using var dir = new TempDir("dk-random-damage");
        var messages = Messages();
        var random = new Random(Seed + canonicalization.Length);
        var damaged = new List<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var signed = DomainKeysMilter.Apply(messages[i], await dk.SendAsync(MtaOffer.Postfix, "127.0.0.1", messages[i]));
            damaged.Add(Damage(signed, random));
            File.WriteAllBytes(dir[$"{i:D3}.eml"], Encoding.UTF8.GetBytes(damaged[i]));
        }
        var verdicts = dk.PerlVerifyBatch(dir.Path);
        var wrong = new List<string>();
        var seen = new HashSet<string>();
        for (var i = 0; i < messages.Count; i++)
        {
            var theirs = verdicts[$"{i:D3}.eml"];
            var ours = AuthenticationResults(await dk.SendAsync(i % 2 == 0 ? MtaOffer.Sendmail : MtaOffer.Postfix, "203.0.113.9", damaged[i]));
            var theirToken = theirs.Split('\n')[0]["result=".Length..];
            seen.Add(theirToken);
            if (theirToken != Verdict(ours)) wrong.Add($"{Describe(i, damaged[i])}\nMail::DKIM: {theirs}\nours: {ours}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {messages.Count} ({canonicalization}):\n" + string.Join("\n\n", wrong) + (wrong.Count > 0 ? "\n--- milter ---\n" + dk.Milter.Output : ""));
        Assert.True(seen.Count >= 2, "the changes should not all give one verdict: " + string.Join(", ", seen));
    }

    /// <summary>One change at a random place that keeps the message's structure (no line is added or lost).</summary>
    private static string Damage(string message, Random random)
    {
        for (var attempt = 0; ; attempt++)
        {
            var at = random.Next(message.Length);
            var c = message[at];
            switch (random.Next(3))
            {
                case 0 when char.IsAsciiLetterOrDigit(c):
                    var replacement = char.IsAsciiDigit(c) ? (char)('0' + (c - '0' + 1 + random.Next(9)) % 10)
                        : char.IsAsciiLetterUpper(c) ? char.ToLowerInvariant(c) : (char)('a' + (c - 'a' + 1 + random.Next(25)) % 26);
                    return message[..at] + replacement + message[(at + 1)..];
                case 1 when c != '\r' && c != '\n' && at > 0 && message[at - 1] != '\n':
                    return message[..at] + (random.Next(2) == 0 ? " " : "\t") + message[at..];
                case 2 when (c == ' ' || c == '\t') && at > 0 && message[at - 1] != '\n':
                    return message[..at] + message[(at + 1)..];
            }
        }
    }

    private static string AuthenticationResults(EndOfMessageResult eom) =>
        eom.AddedHeaders.SingleOrDefault(h => h.Name == "Authentication-Results")?.Value ?? "(no Authentication-Results)";
}
