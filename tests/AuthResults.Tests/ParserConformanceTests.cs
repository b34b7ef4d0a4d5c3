using System.Text.Json.Nodes;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults.Tests;

/// <summary>Our strict parser against every case of tests/data/authres/cases.json.</summary>
public class ParserConformanceTests
{
    public static TheoryData<string> Valid => ParserCases.Ids("valid");
    public static TheoryData<string> Invalid => ParserCases.Ids("invalid");
    public static TheoryData<string> Lenient => ParserCases.Ids("lenient");

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_case_parses_to_its_expected_structure(string id)
    {
        var c = ParserCases.ById("valid", id);
        var ok = AuthResultsParser.TryParseField((string)c["header"]!, out var header, out var error);
        Assert.True(ok, $"{id}: {error}");
        AssertStructure(c["expected"]!.AsObject(), header!);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_case_is_rejected(string id)
    {
        var c = ParserCases.ById("invalid", id);
        var ok = AuthResultsParser.TryParseField((string)c["header"]!, out var header, out _);
        Assert.False(ok, $"{id} ({c["why"]}) was accepted as {header}");
    }

    /// <summary>
    /// Lenient cases are outside the RFC 8601 grammar: the parser, which checks what is conformant, rejects
    /// every one of them (that is what we do with them). Removal does not use this parser, see
    /// <see cref="AuthservIdMatchingTests"/>: the authserv-id of these headers is still found.
    /// </summary>
    [Theory]
    [MemberData(nameof(Lenient))]
    public void Lenient_case_is_rejected_by_the_strict_parser(string id)
    {
        var c = ParserCases.ById("lenient", id);
        Assert.False(AuthResultsParser.TryParseField((string)c["header"]!, out var header, out _), $"{id} accepted as {header}");
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_case_authserv_id_is_what_the_removal_reader_finds(string id)
    {
        var c = ParserCases.ById("valid", id);
        var field = (string)c["header"]!;
        Assert.Equal((string)c["expected"]!["authserv_id"]!, AuthservIdReader.Read(field[(field.IndexOf(':') + 1)..]));
    }

    [Fact]
    public void Case_counts_are_those_of_the_suite()
    {
        Assert.Equal(44, ParserCases.Of("valid").Count());
        Assert.Equal(81, ParserCases.Of("invalid").Count());
        Assert.Equal(15, ParserCases.Of("lenient").Count());
    }

    [Fact]
    public void Without_utf8_the_rfc8616_cases_are_rejected()
    {
        foreach (var c in ParserCases.Of("valid").Where(c => c["requires"] is not null))
            Assert.False(AuthResultsParser.TryParseField((string)c["header"]!, out _, out _, utf8: false), (string)c["id"]!);
    }

    internal static void AssertStructure(JsonObject expected, AuthResultsHeader actual)
    {
        Assert.Equal((string)expected["authserv_id"]!, actual.AuthservId);
        Assert.Equal((int?)expected["version"], actual.Version);
        var results = expected["results"]!.AsArray();
        Assert.Equal(results.Count, actual.Results.Count);
        for (var i = 0; i < results.Count; i++)
        {
            var e = results[i]!.AsObject();
            var a = actual.Results[i];
            Assert.Equal((string)e["method"]!, a.Method, ignoreCase: true);
            Assert.Equal((int?)e["version"], a.MethodVersion);
            Assert.Equal((string)e["result"]!, a.Result, ignoreCase: true);
            Assert.Equal((string?)e["reason"], a.Reason);
            var props = e["properties"]!.AsArray();
            Assert.Equal(props.Count, a.Properties.Count);
            for (var j = 0; j < props.Count; j++)
            {
                Assert.Equal((string)props[j]!["ptype"]!, a.Properties[j].Type, ignoreCase: true);
                Assert.Equal((string)props[j]!["property"]!, a.Properties[j].Property, ignoreCase: true);
                Assert.Equal((string)props[j]!["value"]!, a.Properties[j].Value);
            }
        }
    }
}
