namespace Milters.Host.Keys;

/// <summary>
/// Which sender addresses use a key, in OpenDKIM SigningTable style:
/// <c>*</c> (everyone), <c>*@example.com</c> or <c>example.com</c> (the domain), <c>user@example.com</c>
/// (one address), <c>*.example.com</c> or <c>*@*.example.com</c> (subdomains of example.com, not the domain
/// itself), <c>user@*.example.com</c>. Comparison is case-insensitive (RFC 5321 §2.4 leaves local-part case
/// to the receiver; every signer treats it case-insensitively).
/// </summary>
public sealed class SenderPattern
{
    private readonly string? local;      // null = any local part
    private readonly string domain;      // "" with anyDomain
    private readonly bool anyDomain;
    private readonly bool subdomains;

    private SenderPattern(string text, string? local, string domain, bool anyDomain, bool subdomains)
    {
        Text = text;
        this.local = local;
        this.domain = domain;
        this.anyDomain = anyDomain;
        this.subdomains = subdomains;
    }

    public string Text { get; }

    public static SenderPattern Parse(string text)
    {
        var t = text.Trim();
        if (t.Length == 0) throw new FormatException("an empty sender pattern");
        if (t == "*") return new SenderPattern(t, null, "", anyDomain: true, subdomains: false);

        string? local = null;
        var domainPart = t;
        var at = t.LastIndexOf('@');
        if (at >= 0)
        {
            local = t[..at];
            domainPart = t[(at + 1)..];
            if (local.Length == 0) throw new FormatException($"\"{text}\" has nothing before '@' (use *@domain)");
            if (local == "*") local = null;
        }

        if (domainPart == "*") return new SenderPattern(t, local, "", anyDomain: true, subdomains: false);
        var subdomains = false;
        if (domainPart.StartsWith("*.", StringComparison.Ordinal))
        {
            subdomains = true;
            domainPart = domainPart[2..];
        }
        domainPart = domainPart.TrimEnd('.');
        if (domainPart.Length == 0 || domainPart.Contains('*') || domainPart.Contains('@'))
            throw new FormatException($"\"{text}\" is not a sender pattern (*, *@domain, user@domain, domain, *.domain)");
        return new SenderPattern(t, local, domainPart, anyDomain: false, subdomains);
    }

    /// <summary>Does <paramref name="address"/> (local@domain, or a bare domain) match?</summary>
    public bool Matches(string address)
    {
        var at = address.LastIndexOf('@');
        var addrLocal = at >= 0 ? address[..at] : "";
        var addrDomain = (at >= 0 ? address[(at + 1)..] : address).TrimEnd('.');

        if (local is not null && !string.Equals(local, addrLocal, StringComparison.OrdinalIgnoreCase)) return false;
        if (anyDomain) return true;
        if (!subdomains) return string.Equals(domain, addrDomain, StringComparison.OrdinalIgnoreCase);
        return IsSubdomainOf(addrDomain, domain);
    }

    /// <summary><paramref name="name"/> lies below <paramref name="parent"/> (mail.example.com under example.com), ignoring case.</summary>
    public static bool IsSubdomainOf(string name, string parent) =>
        name.Length > parent.Length + 1
        && name.EndsWith(parent, StringComparison.OrdinalIgnoreCase)
        && name[name.Length - parent.Length - 1] == '.';

    public override string ToString() => Text;
}
