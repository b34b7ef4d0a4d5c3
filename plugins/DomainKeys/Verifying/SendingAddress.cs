using MimeKit;
using Milters.Abstractions;

namespace Milters.DomainKeys.Verifying;

/// <summary>
/// The sending address of RFC 4870 §3.1/§3.5: the Sender header if present, else From. Addresses are parsed
/// with MimeKit (the first mailbox of the field, groups flattened).
/// </summary>
internal sealed record SendingAddress(string Address, string LocalPart, string Domain, bool FromSender)
{
    /// <summary>"sender" or "from": the RFC 8601 property name (header.sender / header.from).</summary>
    public string PropertyName => FromSender ? "sender" : "from";

    /// <summary>
    /// Finds it among <paramref name="headers"/>: the last field of each name counts, as Mail::DKIM reads the
    /// signed fields — signer and verifier must pick the same one. A Sender in which Mail::Address finds nothing
    /// (white space, "&lt;&gt;", lone separators) is passed over for From, as Mail::DKIM passes it over; any other
    /// Sender is the sending address, and one without a mailbox leaves none (null): falling back to From would
    /// sign for an identity no verifier takes.
    /// </summary>
    /// <param name="parsed">Addresses already read from a field (one message's signatures share its fields).</param>
    public static SendingAddress? Find(IEnumerable<HeaderField> headers, Dictionary<HeaderField, SendingAddress?>? parsed = null)
    {
        HeaderField? sender = null, from = null;
        foreach (var h in headers)
        {
            if (h.Is("Sender")) { if (!IsEmptyOfAddresses(h.Value)) sender = h; }
            else if (h.Is("From")) from = h;
        }
        var field = sender ?? from;
        if (field is null) return null;
        if (parsed is not null && parsed.TryGetValue(field, out var known)) return known;
        var address = Parse(field.Value, ReferenceEquals(field, sender));
        parsed?.Add(field, address);
        return address;
    }

    /// <summary>Nothing but white space, angle brackets and list separators: Mail::Address->parse returns no address.</summary>
    private static bool IsEmptyOfAddresses(string value)
    {
        foreach (var c in value)
            if (c is not (' ' or '\t' or '\r' or '\n' or '<' or '>' or ',' or ';')) return false;
        return true;
    }

    public static SendingAddress? Parse(string value, bool fromSender)
    {
        if (!InternetAddressList.TryParse(ParserOptions.Default, WithoutSpaceInAngleAddress(value), out var list)) return null;
        var mailbox = list.Mailboxes.FirstOrDefault();
        if (mailbox is null) return null;
        var address = AsWritten(mailbox, value);
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1) return null;
        return new SendingAddress(address, address[..at], address[(at + 1)..].TrimEnd('.').ToLowerInvariant(), fromSender);
    }

    /// <summary>
    /// The address with its domain as the field wrote it. MimeKit turns A-labels into U-labels, and then
    /// "From: alice@xn--bcher-kva.example" no longer matched d=xn--bcher-kva.example (Mail::DKIM, which compares
    /// the bytes, passes it; an independent comparison found the permerror), nor a key table written in A-labels.
    /// </summary>
    private static string AsWritten(MailboxAddress mailbox, string value)
    {
        try
        {
            var ascii = mailbox.GetAddress(idnEncode: true);
            var domain = ascii[ascii.LastIndexOf('@')..];
            // Looked for in the first mailbox's own text only: a display name or a second address holding the A-label
            // form must not turn the first address's U-labels into A-labels (a code review's find).
            return domain.Length > 1 && FirstMailboxText(value).Contains(domain, StringComparison.OrdinalIgnoreCase) ? ascii : mailbox.Address;
        }
        catch (ArgumentException)
        {
            return mailbox.Address; // not a name IDNA can encode: as MimeKit read it
        }
    }

    /// <summary>
    /// The text of the first mailbox, as MimeKit finds it: the first &lt;…&gt; outside quotes and comments (white space
    /// inside taken out), else everything up to the first comma outside them.
    /// </summary>
    private static string FirstMailboxText(string value)
    {
        value = WithoutSpaceInAngleAddress(value);
        var at = FirstOutsideQuotes(value, stopAtComma: true);
        if (at < 0) return value;
        if (value[at] == ',') return value[..at];
        var close = value.IndexOf('>', at);
        return close < 0 ? value[at..] : value[at..close];
    }

    /// <summary>Index of the first '&lt;' (or ',') outside quoted strings and comments, or -1.</summary>
    private static int FirstOutsideQuotes(string value, bool stopAtComma)
    {
        bool quoted = false, escaped = false;
        var comment = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (escaped) { escaped = false; continue; }
            if (c == '\\' && (quoted || comment > 0)) { escaped = true; continue; }
            if (quoted) { if (c == '"') quoted = false; continue; }
            if (c == '(') { comment++; continue; }
            if (comment > 0) { if (c == ')') comment--; continue; }
            if (c == '"') { quoted = true; continue; }
            if (c == '<' || (stopAtComma && c == ',')) return i;
        }
        return -1;
    }

    /// <summary>
    /// White space inside the first &lt;…&gt; taken out (not inside quoted strings): "&lt;alice @ example.c om&gt;" reads
    /// as alice@example.com, as Mail::DKIM (Mail::Address) reads it — the identity both verifiers check must be
    /// the same address. MimeKit alone would stop at the first space of the domain.
    /// </summary>
    private static string WithoutSpaceInAngleAddress(string value)
    {
        var open = FirstOutsideQuotes(value, stopAtComma: false);
        if (open < 0) return value;
        var close = value.IndexOf('>', open);
        if (close < 0) return value;
        var inner = new System.Text.StringBuilder(close - open);
        var quoted = false;
        for (var i = open + 1; i < close; i++)
        {
            var c = value[i];
            if (c == '"') quoted = !quoted;
            if (!quoted && c is ' ' or '\t' or '\r' or '\n') continue;
            inner.Append(c);
        }
        return string.Concat(value.AsSpan(0, open + 1), inner.ToString(), value.AsSpan(close));
    }

    /// <summary>Is <paramref name="domain"/> the address's domain or one of its parents (RFC 4870 §3.5 step 4)?</summary>
    public bool IsInDomain(string domain) => DomainNames.IsSameOrSubdomain(Domain, domain);
}

internal static class DomainNames
{
    /// <summary>True when <paramref name="name"/> equals <paramref name="parent"/> or lies below it (case-insensitive).</summary>
    public static bool IsSameOrSubdomain(string name, string parent)
    {
        name = name.TrimEnd('.');
        parent = parent.TrimEnd('.');
        if (parent.Length == 0) return false;
        if (string.Equals(name, parent, StringComparison.OrdinalIgnoreCase)) return true;
        return name.Length > parent.Length
            && name[name.Length - parent.Length - 1] == '.'
            && name.EndsWith(parent, StringComparison.OrdinalIgnoreCase);
    }
}
