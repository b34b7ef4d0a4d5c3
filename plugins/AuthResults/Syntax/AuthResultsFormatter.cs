using System.Globalization;
using System.Text;
using Milters.Abstractions;

namespace Milters.AuthResults.Syntax;

/// <summary>Where a result's reason goes: RFC 8601 reasonspec (<c>reason="…"</c>) or a comment after the result.</summary>
public enum ReasonStyle
{
    /// <summary><c>dkim=pass reason="good signature"</c>: part of the structure, read by parsers (RFC 8601 §2.2).</summary>
    ReasonSpec,
    /// <summary><c>dkim=pass (good signature)</c>: the dk-filter / sid-filter look; parsers skip comments.</summary>
    Comment,
}

/// <summary>
/// Writes an Authentication-Results field value: quoting by <see cref="PValueSyntax"/>, folded with
/// CRLF + TAB so that no line is longer than <see cref="MaxLineLength"/> (RFC 5322 §2.1.1) where the
/// words allow it: every resinfo starts a line once the field does not fit on one, long resinfos break
/// between their parts, and a long reason breaks before a space inside it (the space stays, so unfolding
/// restores the text exactly). MimeKit's folding encoder is internal to MimeKit.
/// </summary>
internal sealed class AuthResultsFormatter
{
    /// <summary>RFC 5322 §2.1.1: lines SHOULD be no more than 78 characters, CRLF excluded.</summary>
    public const int DefaultMaxLineLength = 78;

    private const string Fold = "\r\n\t";

    public int MaxLineLength { get; init; } = DefaultMaxLineLength;

    public ReasonStyle ReasonStyle { get; init; } = ReasonStyle.ReasonSpec;

    /// <summary>The whole field as it would appear in the message (no final CRLF).</summary>
    public string FormatField(AuthResultsHeader header) => AuthResultsParser.FieldName + ":" + FormatValue(header);

    /// <summary>The value after the colon, starting with its single leading space.</summary>
    public string FormatValue(AuthResultsHeader header)
    {
        var pieces = new List<Piece>();
        var head = PValueSyntax.Value(HeaderText.Sanitize(header.AuthservId));
        if (header.Version is { } version) head += " " + version.ToString(CultureInfo.InvariantCulture);
        pieces.Add(new Piece(head + ";", PieceKind.Word));
        if (header.IsNone) pieces.Add(new Piece("none", PieceKind.Word));

        for (var i = 0; i < header.Results.Count; i++)
            AddResInfo(pieces, header.Results[i], last: i == header.Results.Count - 1);

        return Layout(pieces);
    }

    private void AddResInfo(List<Piece> pieces, ResInfo r, bool last)
    {
        var words = new List<string>();
        var breakable = -1;
        var spec = Keyword(r.Method, "method");
        if (r.MethodVersion is { } mv) spec += "/" + mv.ToString(CultureInfo.InvariantCulture);
        words.Add(spec + "=" + Keyword(r.Result, "result"));

        if (r.Reason is not null)
        {
            var text = PValueSyntax.NormalizeText(r.Reason);
            breakable = words.Count;
            words.Add(ReasonStyle == ReasonStyle.Comment
                ? Comment(text)
                : "reason=" + PValueSyntax.QuoteString(text));
        }

        foreach (var p in r.Properties)
            words.Add(Keyword(p.Type, "ptype") + "." + Keyword(p.Property, "property") + "=" + PValueSyntax.PValue(HeaderText.Sanitize(p.Value)));

        if (!last) words[^1] += ";";

        for (var w = 0; w < words.Count; w++)
        {
            var first = true;
            foreach (var part in w == breakable ? SplitInside(words[w]) : [words[w]])
            {
                pieces.Add(new Piece(part, !first ? PieceKind.Inner : w == 0 ? PieceKind.LineStart : PieceKind.Word));
                first = false;
            }
        }
    }

    private string Layout(List<Piece> pieces)
    {
        var lineLength = AuthResultsParser.FieldName.Length + 1;
        var oneLine = lineLength;
        foreach (var p in pieces) oneLine += p.Text.Length + (p.Kind == PieceKind.Inner ? 0 : 1);

        var sb = new StringBuilder();
        var folded = oneLine > MaxLineLength;
        foreach (var p in pieces)
        {
            if (p.Kind == PieceKind.Inner)
            {
                if (folded && lineLength + p.Text.Length > MaxLineLength)
                {
                    sb.Append("\r\n");
                    lineLength = 0;
                }
                sb.Append(p.Text);
                lineLength += p.Text.Length;
                continue;
            }

            var breakHere = folded && (p.Kind == PieceKind.LineStart || lineLength + 1 + p.Text.Length > MaxLineLength);
            sb.Append(breakHere ? Fold : " ");
            lineLength = (breakHere ? 0 : lineLength) + 1 + p.Text.Length;
            sb.Append(p.Text);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Splits the reason (a quoted-string or a comment) at its inner spaces: each later part starts with its
    /// run of spaces, so a fold before it keeps every space and no line is blank. Property values are not
    /// split: an identity broken inside its quotes is legal but readers stumble over it.
    /// </summary>
    private static IEnumerable<string> SplitInside(string word)
    {
        var start = 0;
        for (var i = 1; i < word.Length; i++)
        {
            if (word[i] == ' ' && word[i - 1] != ' ')
            {
                yield return word[start..i];
                start = i;
            }
        }
        yield return word[start..];
    }

    private static string Comment(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('(');
        foreach (var c in text)
        {
            if (c is '(' or ')' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append(')').ToString();
    }

    private static string Keyword(string word, string what) =>
        Grammar.IsKeyword(word) ? word : throw new FormatException($"{what} \"{word}\" is not an RFC 5321 Keyword");

    private enum PieceKind
    {
        /// <summary>Separated from the previous piece by a space, or by a fold.</summary>
        Word,
        /// <summary>A Word that starts a new line once the field is folded (each resinfo).</summary>
        LineStart,
        /// <summary>Continues the previous piece; begins with the space(s) of a quoted-string or comment.</summary>
        Inner,
    }

    private readonly record struct Piece(string Text, PieceKind Kind);
}
