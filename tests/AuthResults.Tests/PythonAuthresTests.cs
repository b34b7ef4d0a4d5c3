using System.Text.Json.Nodes;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>
/// The headers we write, read by Debian's python3-authres 1.2.0. Its known limits (tests/data/authres
/// SOURCES.md, "Cross-check"): no RFC 8616, so headers with UTF-8 are left out here (our own parser and
/// MimeKit read them in <see cref="RoundTripTests"/>); quoted-pairs in a quoted-string are returned
/// unresolved, so a value written as a quoted-string with \" or \\ is compared in that escaped form; a
/// quoted-string pvalue followed by another property is dropped, an empty one breaks the field (see
/// <see cref="MisreadByAuthres"/>, <see cref="HasEmptyValueBeforeAnother"/>); header
/// fields are read unfolded, as a mail reader unfolds them (RFC 5322 §2.2.3).
/// </summary>
public class PythonAuthresTests
{
    [Fact]
    public async Task Python_authres_reads_every_ascii_header_we_write_as_the_same_results()
    {
        var formatter = new AuthResultsFormatter();
        var headers = GeneratedHeaders.Make(400)
            .Where(h => GeneratedHeaders.IsAscii(formatter.FormatField(h)) && !h.Results.Any(HasEmptyValueBeforeAnother)).ToList();
        Assert.True(headers.Count > 150, $"only {headers.Count} ASCII headers generated");
        var fields = headers.Select(h => GeneratedHeaders.Unfold(formatter.FormatField(h))).ToList();

        var parsed = await PythonAuthres.ParseAsync(fields);

        for (var i = 0; i < headers.Count; i++)
        {
            var (h, py) = (headers[i], parsed[i]!.AsObject());
            Assert.True((bool)py["ok"]!, $"{py["error"]}\n{fields[i]}");
            Assert.Equal(h.AuthservId, (string)py["authserv_id"]!, ignoreCase: true); // authres lower-cases it; RFC 8601 §2.5 compares case-insensitively
            var results = py["results"]!.AsArray();
            Assert.Equal(h.Results.Count, results.Count);
            for (var r = 0; r < results.Count; r++)
            {
                var (ours, theirs) = (h.Results[r], results[r]!.AsObject());
                Assert.Equal(ours.Method, (string)theirs["method"]!);
                Assert.Equal(ours.Result, (string)theirs["result"]!);
                Assert.Equal(ours.Reason is null ? null : AsPythonReadsIt(PValueSyntax.NormalizeText(ours.Reason)), (string?)theirs["reason"]);
                // authres keeps, for the methods it knows, the properties it knows in its own order: compare by name.
                var props = theirs["properties"]!.AsArray()
                    .ToDictionary(p => ((string)p!["ptype"]!, ((string)p!["property"]!).ToLowerInvariant()), p => (string)p!["value"]!);
                var misread = MisreadByAuthres(ours);
                for (var p = 0; p < ours.Properties.Count; p++)
                {
                    var prop = ours.Properties[p];
                    var found = props.Remove((prop.Type, prop.Property.ToLowerInvariant()), out var value);
                    if (misread.Contains(p)) continue;
                    Assert.True(found, $"authres lost {prop}:\n{fields[i]}\n{theirs.ToJsonString()}");
                    Assert.Equal(AsPythonReadsIt(prop.Value), value);
                }
                Assert.Empty(props);
            }
        }
    }

    [Fact]
    public async Task Python_authres_reads_none_and_a_folded_header()
    {
        var formatter = new AuthResultsFormatter();
        var none = formatter.FormatField(new AuthResultsHeader("mx.example.com", null, []));
        var folded = formatter.FormatField(new AuthResultsHeader("mx.example.com", null,
        [
            new ResInfo("domainkeys", null, "pass", null, [new PropSpec("header", "from", "alice@example.com"), new PropSpec("header", "d", "example.com")]),
            new ResInfo("sender-id", null, "fail", "the domain example.com does not designate 192.0.2.1 as permitted sender", [new PropSpec("header", "from", "alice@example.com")]),
            new ResInfo("spf", null, "pass", null, [new PropSpec("smtp", "mailfrom", "alice@example.com")]),
        ]));
        Assert.Contains("\r\n", folded);

        var parsed = await PythonAuthres.ParseAsync([GeneratedHeaders.Unfold(none), GeneratedHeaders.Unfold(folded)]);

        Assert.True((bool)parsed[0]!["ok"]!);
        Assert.Empty(parsed[0]!["results"]!.AsArray());
        Assert.True((bool)parsed[1]!["ok"]!, (string?)parsed[1]!["error"]);
        Assert.Equal(["domainkeys", "sender-id", "spf"], parsed[1]!["results"]!.AsArray().Select(r => (string)r!["method"]!));
        Assert.Equal("the domain example.com does not designate 192.0.2.1 as permitted sender", (string?)parsed[1]!["results"]![1]!["reason"]);
    }

    /// <summary>
    /// python3-authres 1.2.0 takes a quoted-string pvalue only when ";" or the end follows it; otherwise it
    /// drops that property without an error (SOURCES.md: "drops the quoted header.d in one case"). The
    /// indexes of those properties.
    /// </summary>
    private static HashSet<int> MisreadByAuthres(ResInfo r)
    {
        var misread = new HashSet<int>();
        for (var p = 0; p < r.Properties.Count - 1; p++)
        {
            if (PValueSyntax.PValue(r.Properties[p].Value).StartsWith('"')) misread.Add(p);
        }
        return misread;
    }

    /// <summary>
    /// An empty value ("") followed by another property makes python3-authres 1.2.0 read on into that property
    /// and then fail on the whole field; our parser and MimeKit read those (<see cref="RoundTripTests"/>).
    /// </summary>
    private static bool HasEmptyValueBeforeAnother(ResInfo r) => r.Properties.SkipLast(1).Any(p => p.Value.Length == 0);

    /// <summary>python3-authres 1.2.0 keeps the backslashes of quoted-pairs in what it returns.</summary>
    private static string AsPythonReadsIt(string value) =>
        value.Contains('"') || value.Contains('\\') ? value.Replace("\\", "\\\\").Replace("\"", "\\\"") : value;
}
