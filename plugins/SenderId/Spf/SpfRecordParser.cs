using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Milters.SenderId.Spf;

/// <summary>
/// Parses a whole record into directives and modifiers before anything is evaluated, so that a syntax
/// error anywhere gives permerror (RFC 7208 §4.6: "If there are any syntax errors anywhere in the record,
/// check_host() returns immediately with the result permerror").
/// </summary>
public static class SpfRecordParser
{
    /// <summary>Parses <paramref name="text"/> (version section included). Throws a permerror <see cref="SpfException"/>.</summary>
    public static SpfRecord Parse(string text)
    {
        if (!SpfVersionTag.TryRead(text, out var tag)) throw SpfException.Perm("not an SPF record");
        foreach (var c in text)
        {
            // RFC 7208 §3.1 / §4.6: records are 7-bit ASCII; anything else is a syntax error.
            if (c > '~' || (c < ' ')) throw SpfException.Perm("non-ASCII or control character in record");
        }
        var directives = new List<SpfDirective>();
        var others = new List<SpfModifier>();
        MacroString? redirect = null, exp = null;
        // terms = *( 1*SP ( directive / modifier ) ), record = version terms *SP (RFC 7208 §4.6.1)
        foreach (var term in text[tag.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = term.IndexOf('=');
            if (eq > 0 && IsModifierName(term.AsSpan(0, eq)))
            {
                var name = term[..eq];
                var value = term[(eq + 1)..];
                if (name.Equals("redirect", StringComparison.OrdinalIgnoreCase))
                {
                    if (redirect is not null) throw SpfException.Perm("more than one redirect modifier");
                    redirect = DomainSpec.Parse(value);
                }
                else if (name.Equals("exp", StringComparison.OrdinalIgnoreCase))
                {
                    if (exp is not null) throw SpfException.Perm("more than one exp modifier");
                    exp = DomainSpec.Parse(value);
                }
                else
                {
                    others.Add(new SpfModifier(name, MacroString.Parse(value)));
                }
                continue;
            }
            directives.Add(ParseDirective(term));
        }
        return new SpfRecord(text, directives, redirect, exp, others);
    }

    // name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) (RFC 7208 §4.6.1)
    private static bool IsModifierName(ReadOnlySpan<char> name)
    {
        if (!char.IsAsciiLetter(name[0])) return false;
        foreach (var c in name) if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        return true;
    }

    private static SpfDirective ParseDirective(string term)
    {
        var qualifier = SpfQualifier.Pass;
        var pos = 0;
        switch (term[0])
        {
            case '+': qualifier = SpfQualifier.Pass; pos = 1; break;
            case '-': qualifier = SpfQualifier.Fail; pos = 1; break;
            case '~': qualifier = SpfQualifier.SoftFail; pos = 1; break;
            case '?': qualifier = SpfQualifier.Neutral; pos = 1; break;
        }
        var nameEnd = pos;
        while (nameEnd < term.Length && term[nameEnd] != ':' && term[nameEnd] != '/') nameEnd++;
        var name = term[pos..nameEnd].ToLowerInvariant();
        var rest = term[nameEnd..];
        switch (name)
        {
            case "all":
                if (rest.Length > 0) throw SpfException.Perm($"\"all\" takes no arguments: \"{term}\"");
                return new SpfDirective(qualifier, SpfMechanismKind.All);
            case "include":
            case "exists":
                if (!rest.StartsWith(':')) throw SpfException.Perm($"\"{name}\" needs a domain: \"{term}\"");
                return new SpfDirective(qualifier, name == "include" ? SpfMechanismKind.Include : SpfMechanismKind.Exists,
                    DomainSpec.Parse(rest[1..]));
            case "a":
            case "mx":
            {
                var (domain, cidr4, cidr6) = SplitDualCidr(rest, term);
                return new SpfDirective(qualifier, name == "a" ? SpfMechanismKind.A : SpfMechanismKind.Mx, domain, null, cidr4, cidr6);
            }
            case "ptr":
                if (rest.Length == 0) return new SpfDirective(qualifier, SpfMechanismKind.Ptr);
                if (!rest.StartsWith(':')) throw SpfException.Perm($"\"ptr\" takes no CIDR length: \"{term}\"");
                return new SpfDirective(qualifier, SpfMechanismKind.Ptr, DomainSpec.Parse(rest[1..]));
            case "ip4":
                return ParseIp4(qualifier, rest, term);
            case "ip6":
                return ParseIp6(qualifier, rest, term);
            default:
                throw SpfException.Perm($"unknown mechanism \"{term}\"");
        }
    }

    /// <summary>[ ":" domain-spec ] [ dual-cidr-length ], dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ].</summary>
    private static (MacroString? Domain, int Cidr4, int Cidr6) SplitDualCidr(string rest, string term)
    {
        var cidr4 = 32;
        var cidr6 = 128;
        var head = rest;
        var dd = head.LastIndexOf("//", StringComparison.Ordinal);
        if (dd >= 0 && IsDigits(head.AsSpan(dd + 2)))
        {
            cidr6 = ParseCidr(head.AsSpan(dd + 2), 128, term);
            head = head[..dd];
        }
        var s = head.LastIndexOf('/');
        if (s >= 0 && IsDigits(head.AsSpan(s + 1)))
        {
            cidr4 = ParseCidr(head.AsSpan(s + 1), 32, term);
            head = head[..s];
        }
        if (head.Length == 0) return (null, cidr4, cidr6);
        if (head[0] != ':') throw SpfException.Perm($"invalid mechanism \"{term}\"");
        return (DomainSpec.Parse(head[1..]), cidr4, cidr6);
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        if (s.Length == 0) return false;
        foreach (var c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }

    // ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); ip6-cidr-length = "/" ("0" / %x31-39 0*2DIGIT) (RFC 7208 §5.6)
    private static int ParseCidr(ReadOnlySpan<char> digits, int max, string term)
    {
        if (!IsDigits(digits) || (digits.Length > 1 && digits[0] == '0') || digits.Length > 3)
            throw SpfException.Perm($"invalid CIDR length in \"{term}\"");
        var value = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > max) throw SpfException.Perm($"CIDR length {value} over {max} in \"{term}\"");
        return value;
    }

    private static SpfDirective ParseIp4(SpfQualifier qualifier, string rest, string term)
    {
        if (!rest.StartsWith(':')) throw SpfException.Perm($"\"ip4\" needs a network: \"{term}\"");
        var value = rest[1..];
        var cidr = 32;
        var slash = value.IndexOf('/');
        if (slash >= 0)
        {
            cidr = ParseCidr(value.AsSpan(slash + 1), 32, term);
            value = value[..slash];
        }
        if (!TryParseDottedQuad(value, out var address)) throw SpfException.Perm($"invalid ip4 network in \"{term}\"");
        return new SpfDirective(qualifier, SpfMechanismKind.Ip4, null, address, cidr, 128);
    }

    private static SpfDirective ParseIp6(SpfQualifier qualifier, string rest, string term)
    {
        if (!rest.StartsWith(':')) throw SpfException.Perm($"\"ip6\" needs a network: \"{term}\"");
        var value = rest[1..];
        var cidr = 128;
        var slash = value.IndexOf('/');
        if (slash >= 0)
        {
            cidr = ParseCidr(value.AsSpan(slash + 1), 128, term);
            value = value[..slash];
        }
        // ip6-network = <as per RFC 4291 section 2.2>: hex digits, colons and an optional dotted quad tail.
        if (!value.Contains(':') || value.Any(c => !(Uri.IsHexDigit(c) || c is ':' or '.'))
            || !IPAddress.TryParse(value, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            throw SpfException.Perm($"invalid ip6 network in \"{term}\"");
        return new SpfDirective(qualifier, SpfMechanismKind.Ip6, null, address, 32, cidr);
    }

    /// <summary>ip4-network = qnum "." qnum "." qnum "." qnum, qnum = decimal 0-255 without leading zeros (RFC 7208 §5.6).</summary>
    public static bool TryParseDottedQuad(string value, out IPAddress address)
    {
        address = IPAddress.None;
        var parts = value.Split('.');
        if (parts.Length != 4) return false;
        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var p = parts[i];
            if (!IsDigits(p) || p.Length > 3 || (p.Length > 1 && p[0] == '0')) return false;
            var n = int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture);
            if (n > 255) return false;
            bytes[i] = (byte)n;
        }
        address = new IPAddress(bytes);
        return true;
    }
}
