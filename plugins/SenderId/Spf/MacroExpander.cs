using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Milters.SenderId.Spf;

/// <summary>Expands a parsed <see cref="MacroString"/> (RFC 7208 §7.3).</summary>
public static class MacroExpander
{
    /// <summary>Expands a domain-spec: the result is shortened from the left to 253 characters and loses a trailing dot (RFC 7208 §7.3).</summary>
    public static async ValueTask<string> ExpandDomainAsync(MacroString spec, MacroContext context)
    {
        var name = await ExpandAsync(spec, context).ConfigureAwait(false);
        if (name.EndsWith('.')) name = name[..^1];
        while (name.Length > SpfLimits.MaxDomainLength)
        {
            var dot = name.IndexOf('.');
            if (dot < 0) break;
            name = name[(dot + 1)..];
        }
        return name;
    }

    public static async ValueTask<string> ExpandAsync(MacroString spec, MacroContext context)
    {
        var sb = new StringBuilder();
        foreach (var part in spec.Parts)
        {
            switch (part)
            {
                case MacroLiteral literal:
                    sb.Append(literal.Text);
                    break;
                case MacroExpand macro:
                    var value = macro.Letter == 'p'
                        ? await context.ValidatedName(context.Domain).ConfigureAwait(false)
                        : Value(macro.Letter, context);
                    sb.Append(Transform(value, macro));
                    break;
            }
        }
        return sb.ToString();
    }

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
