using System.Text;
using Milters.DomainKeys.Canonicalization;
using Milters.DomainKeys.Verifying;

namespace Milters.DomainKeys.Signing;

/// <summary>
/// Writes the DomainKey-Signature value (RFC 4870 §3.3) folded the way dk-filter folded it: tags in the order
/// a, q, c, d, s, [h,] b, separated by "; ", lines kept within 78 columns with CRLF TAB continuations, the
/// h= list broken after a colon and the b= data spread over as many lines as it needs. Verifiers remove this
/// white space (it is FWS in the tag-list grammar), so folding never changes the signature's meaning.
/// </summary>
internal static class SignatureFormatter
{
    private const int LineLimit = 78;
    private const string Fold = "\r\n\t";

    public static string Format(string domain, string selector, CanonicalizationAlgorithm canonicalization,
        IReadOnlyList<string>? headerNames, ReadOnlySpan<byte> signature)
    {
        var text = new StringBuilder();
        var column = DomainKeySignature.HeaderName.Length + 1; // "DomainKey-Signature:"

        void Token(string token, bool first = false)
        {
            var lead = " ";
            if (!first && column + lead.Length + token.Length > LineLimit)
            {
                text.Append(Fold);
                column = 8; // a tab counts as 8 columns in dk-filter's line arithmetic
                lead = "";
            }
            text.Append(lead).Append(token);
            column += lead.Length + token.Length;
        }

        Token($"a={DomainKeySignature.RsaSha1};", first: true);
        Token($"q={DomainKeySignature.DnsQuery};");
        Token($"c={CanonicalizationNames.ToTag(canonicalization)};");
        Token($"d={domain};");
        Token($"s={selector};");
        if (headerNames is { Count: > 0 })
        {
            // h= may be long: break after a colon when the line is full.
            var parts = headerNames.Select((n, i) => i == 0 ? "h=" + n : n).ToList();
            for (var i = 0; i < parts.Count; i++)
            {
                var piece = parts[i] + (i == parts.Count - 1 ? ";" : ":");
                if (i == 0) Token(piece);
                else if (column + piece.Length > LineLimit)
                {
                    text.Append(Fold).Append(piece);
                    column = 8 + piece.Length;
                }
                else
                {
                    text.Append(piece);
                    column += piece.Length;
                }
            }
        }

        var data = Convert.ToBase64String(signature);
        // b= starts on a fresh line, then fills lines.
        text.Append(Fold).Append("b=");
        column = 8 + 2;
        var at = 0;
        while (at < data.Length)
        {
            var room = Math.Max(LineLimit - column, 16);
            var take = Math.Min(room, data.Length - at);
            text.Append(data, at, take);
            at += take;
            column += take;
            if (at < data.Length)
            {
                text.Append(Fold);
                column = 8;
            }
        }
        text.Append(';');
        return text.ToString();
    }
}
