using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Milters.SenderId.Spf;

/// <summary>Expands a parsed <see cref="MacroString"/> (RFC 7208 §7.3).</summary>
public static class MacroExpander
{
    /// <summary>
    /// The longest explanation expanded (RFC 7208 §6.2). An explanation is for people, and what takes it further is
    /// shortened again (Authentication-Results reasons, SMTP reply text); without a bound, a record of thousands of
    /// %{s} and a long envelope sender grew one expansion to gigabytes.
    /// </summary>
    public const int MaxExplanationLength = 2048;

    /// <summary>
    /// Expands a domain-spec: the result is shortened from the left to 253 characters and loses a trailing dot
    /// (RFC 7208 §7.3). Only the right end can survive, so the parts are expanded from the right and the rest is
    /// never built: a record of thousands of %{d} against a 250-character domain took minutes when the whole
    /// expansion was built and then cut one label at a time.
    /// </summary>
    public static async ValueTask<string> ExpandDomainAsync(MacroString spec, MacroContext context)
    {
        // Enough characters to decide the cut: 253 kept, the dot before them, a trailing dot to drop.
        const int needed = SpfLimits.MaxDomainLength + 2;
        var pieces = new List<string>();
        var length = 0;
        for (var i = spec.Parts.Count - 1; i >= 0 && length < needed; i--)
        {
            var piece = await PieceAsync(spec.Parts[i], context).ConfigureAwait(false);
            pieces.Add(piece);
            length += piece.Length;
        }
        pieces.Reverse();
        var name = string.Concat(pieces);
        if (name.EndsWith('.')) name = name[..^1];
        if (name.Length > SpfLimits.MaxDomainLength)
        {
            // Successive labels go from the left until at most 253 characters remain: the first dot at or after
            // the point that leaves 253; with none, labels go as long as there are dots (the rest is too long anyway).
            var dot = name.IndexOf('.', name.Length - SpfLimits.MaxDomainLength - 1);
            if (dot < 0) dot = name.LastIndexOf('.');
            if (dot >= 0) name = name[(dot + 1)..];
        }
        return name;
    }

    /// <summary>Expands an explanation string (exp=), at most <see cref="MaxExplanationLength"/> characters.</summary>
    public static async ValueTask<string> ExpandAsync(MacroString spec, MacroContext context)
    {
        var sb = new StringBuilder();
        foreach (var part in spec.Parts)
        {
            sb.Append(await PieceAsync(part, context).ConfigureAwait(false));
            if (sb.Length >= MaxExplanationLength)
            {
                sb.Length = MaxExplanationLength;
                break;
            }
        }
        return sb.ToString();
    }

    private static async ValueTask<string> PieceAsync(MacroPart part, MacroContext context) => part switch
    {
        MacroLiteral literal => literal.Text,
        MacroExpand { Letter: 'p' } macro => Transform(await context.ValidatedName(context.Domain).ConfigureAwait(false), macro),
        MacroExpand macro => Transform(Value(macro.Letter, context), macro),
        _ => throw new ArgumentOutOfRangeException(nameof(part), part, null),
    };

    private static string Value(char letter, MacroContext c) => letter switch
    {
        's' => c.Sender,
        'l' => c.LocalPart,
        'o' => c.SenderDomain,
        'd' => c.Domain,
        'i' => DottedIp(c),
        'v' => c.Ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
        'h' => c.Helo,
        'c' => c.Ip.ToString(),
        'r' => c.Receiver,
        't' => c.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        _ => throw SpfException.Perm($"macro letter '{letter}' has no value"),
    };

    /// <summary>
    /// %{i}: dotted quad for IPv4, 32 dot-separated nibbles for IPv6 (RFC 7208 §7.3). Nibbles are upper
    /// case as the OpenSPF suite expects in explanations (v-macro-ip6); DNS names are case-insensitive.
    /// </summary>
    private static string DottedIp(MacroContext c)
    {
        var bytes = c.Ip.GetAddressBytes();
        if (bytes.Length == 4) return c.Ip.ToString();
        var sb = new StringBuilder(63);
        foreach (var b in bytes)
        {
            if (sb.Length > 0) sb.Append('.');
            sb.Append(Hex[b >> 4]).Append('.').Append(Hex[b & 0xF]);
        }
        return sb.ToString();
    }

    private const string Hex = "0123456789ABCDEF";

    private static string Transform(string value, MacroExpand macro)
    {
        if (macro.Digits > 0 || macro.Reverse || macro.Delimiters != ".")
        {
            IEnumerable<string> parts = value.Split(macro.Delimiters.ToCharArray());
            if (macro.Reverse) parts = parts.Reverse();
            var list = parts.ToList();
            if (macro.Digits > 0 && macro.Digits < list.Count) list = list.GetRange(list.Count - macro.Digits, macro.Digits);
            value = string.Join('.', list);
        }
        // Upper-case macro letters are URL-escaped (RFC 7208 §7.3, RFC 3986 unreserved characters kept).
        return macro.UrlEscape ? Uri.EscapeDataString(value) : value;
    }
}
