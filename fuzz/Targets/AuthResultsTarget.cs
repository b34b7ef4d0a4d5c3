using System.Text;
using Milters.Abstractions;
using Milters.AuthResults.Syntax;

namespace Milters.Fuzz;

/// <summary>
/// Authentication-Results (RFC 8601 §2.2) as it arrives in a message: the value parsed strictly (ASCII)
/// and with RFC 8616 UTF-8, the whole field, and the authserv-id reader the forged-header removal relies
/// on. The parsers report bad input by returning false; every exception is a finding. A value that parses
/// must still parse, with the same authserv-id (control characters written as spaces) and results, after
/// our formatter wrote it back.
/// </summary>
public static class AuthResultsTarget
{
    private static readonly AuthservIdMatcher Ours = new(["mx.example.net"]);
    private static readonly AuthResultsFormatter Formatter = new();

    public static void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        Ours.IsOurs(AuthservIdReader.Read(text));
        AuthResultsParser.TryParseField(text, out _, out _);
        AuthResultsParser.TryParse(text, out _, out _, utf8: false);
        if (!AuthResultsParser.TryParse(text, out var header, out _) || header is null) return;

        var written = Formatter.FormatValue(header);
        if (!AuthResultsParser.TryParse(written, out var again, out var error) || again is null)
            throw new FuzzFindingException($"formatted header does not parse ({error}): {written}");
        // The formatter deliberately writes control characters (TAB included) as a space (PValueSyntax.Sanitize).
        if (again.AuthservId != HeaderText.Sanitize(header.AuthservId) || !again.Results.Select(Key).SequenceEqual(header.Results.Select(Key)))
            throw new FuzzFindingException($"formatted header reads differently: {written}");
    }

    private static (string, string) Key(ResInfo r) => (r.Method.ToLowerInvariant(), r.Result.ToLowerInvariant());
}
