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
        // Written straight into one builder sized for the result (one header per signed message: its
        // pieces used to be strings of their own, most of the plugin's allocation per message).
        var data = Convert.ToBase64String(signature);
        var length = 48 + domain.Length + selector.Length + data.Length;
        if (headerNames is not null)
            foreach (var name in headerNames) length += name.Length + 1;
        var text = new StringBuilder(length + Fold.Length * (length / 40 + 2));
        var column = DomainKeySignature.HeaderName.Length + 1; // "DomainKey-Signature:"

        // " tag=value;" on the current line, or at the start of a new one when it would pass the limit.
        void Tag(string tag, string value, bool first = false)
        {
            var size = 1 + tag.Length + 1 + value.Length + 1;
            if (!first && column + size > LineLimit)
            {
                text.Append(Fold);
                column = 8; // a tab counts as 8 columns in dk-filter's line arithmetic
                size--;     // no leading space after a fold
            }
            else text.Append(' ');
            text.Append(tag).Append('=').Append(value).Append(';');
            column += size;
        }

        Tag("a", DomainKeySignature.RsaSha1, first: true);
        Tag("q", DomainKeySignature.DnsQuery);
        Tag("c", CanonicalizationNames.ToTag(canonicalization));
        Tag("d", domain);
        Tag("s", selector);
        if (headerNames is { Count: > 0 })
        {
            // h= may be long: break after a colon when the line is full.
            for (var i = 0; i < headerNames.Count; i++)
            {
                var name = headerNames[i];
                var separator = i == headerNames.Count - 1 ? ';' : ':';
                if (i == 0)
                {
                    var size = 1 + 2 + name.Length + 1;
                    if (column + size > LineLimit)
                    {
                        text.Append(Fold);
                        column = 8;
                        size--;
                    }
                    else text.Append(' ');
                    text.Append("h=").Append(name).Append(separator);
                    column += size;
                }
                else
                {
                    var size = name.Length + 1;
                    if (column + size > LineLimit)
                    {
                        text.Append(Fold);
                        column = 8;
                    }
                    text.Append(name).Append(separator);
                    column += size;
                }
            }
        }

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
