using System.Text;
using System.Globalization;

namespace Milters.SenderId.Spf;

/// <summary>Syntax of domain names in SPF: domain-spec (RFC 7208 §7.1) and the checks of §4.3.</summary>
public static class DomainSpec
{
    /// <summary>
    /// Parses a domain-spec: a macro-string ending in a macro-expand or in "." toplabel ["."]
    /// (RFC 7208 §7.1 domain-end). Throws a permerror otherwise (e.g. "a:museum", "a:abc.123").
    /// </summary>
    public static MacroString Parse(string text)
    {
        if (text.Length == 0) throw SpfException.Perm("empty domain-spec");
        var spec = MacroString.Parse(text);
        if (spec.EndsWithMacro) return spec;
        var literal = text.EndsWith('.') ? text[..^1] : text;
        var dot = literal.LastIndexOf('.');
        if (dot < 0) throw SpfException.Perm($"domain-spec \"{text}\" has no top label");
        var top = literal[(dot + 1)..];
        // A top label could follow a macro ("%{d}.com"): only its literal tail is checked here.
        if (!IsTopLabel(top)) throw SpfException.Perm($"invalid top label in \"{text}\"");
        return spec;
    }

    /// <summary>toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) (RFC 7208 §7.1).</summary>
    public static bool IsTopLabel(string label)
    {
        if (label.Length == 0) return false;
        if (!char.IsAsciiLetterOrDigit(label[0]) || !char.IsAsciiLetterOrDigit(label[^1])) return false;
        var hasHyphen = false;
        var hasLetter = false;
        foreach (var c in label)
        {
            if (c == '-') hasHyphen = true;
            else if (char.IsAsciiLetter(c)) hasLetter = true;
            else if (!char.IsAsciiDigit(c)) return false;
        }
        return hasLetter || hasHyphen;
    }

    /// <summary>
    /// A name check_host() may start with (RFC 7208 §4.3): multi-label, no empty label (except a final
    /// dot), no label over 63 octets, not a domain literal.
    /// </summary>
    public static bool IsValidDomain(string domain)
    {
        var name = domain.EndsWith('.') ? domain[..^1] : domain;
        if (name.Length == 0 || name.Length > SpfLimits.MaxDomainLength) return false;
        if (name.StartsWith('[')) return false;
        // DNS names on the wire are ASCII here; a U-label or a control character cannot have SPF records. A space or
        // a quote is a legal label octet (RFC 2181 §11) that "%_" and quoted local-parts put into include: and
        // redirect= targets, and other implementations look those up: so do we.
        foreach (var c in name) if (c < ' ' || c > '~') return false;
        var labels = name.Split('.');
        if (labels.Length < 2) return false;
        foreach (var label in labels)
        {
            if (label.Length == 0 || label.Length > SpfLimits.MaxLabelLength) return false;
        }
        return true;
    }

    /// <summary>
    /// The name as DNS knows it: internationalized labels as A-labels ("bücher.example" →
    /// "xn--bcher-kva.example"), as RFC 7208 §4.3 requires of check_host()'s domain; an ASCII name unchanged.
    /// A name that cannot be encoded (an empty or over-long label) is returned as it was, for
    /// <see cref="IsValidDomain"/> to refuse.
    /// </summary>
    public static string ToALabels(string domain)
    {
        if (Ascii.IsValid(domain)) return domain;
        try
        {
            // The process runs with invariant globalization, where IdnMapping only Punycode-encodes (no UTS #46
            // mapping): lower-casing first gives the A-label an upper-case U-label maps to. Decomposed input is
            // not composed (no normalization data in invariant mode); MTAs and mail clients send NFC.
            return new IdnMapping().GetAscii(domain.ToLowerInvariant());
        }
        catch (ArgumentException)
        {
            return domain;
        }
    }

    /// <summary>True when <paramref name="name"/> is <paramref name="domain"/> or a name below it (case-insensitive).</summary>
    public static bool IsSameOrSubdomain(string name, string domain)
    {
        name = name.TrimEnd('.');
        domain = domain.TrimEnd('.');
        return name.Equals(domain, StringComparison.OrdinalIgnoreCase)
            || name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
    }
}
