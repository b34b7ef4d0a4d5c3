using System.Text;

namespace Milters.Host.Milter.Session;

/// <summary>Header values between the MTA's form and the form plugins see (RFC 5322 §2.2.3 folding with CRLF).</summary>
public static class HeaderValues
{
    /// <summary>
    /// The value as plugins see it: bare LF line breaks (Sendmail folds with "\n") become CRLF, and when the
    /// MTA could not keep the leading white space (no SMFIP_HDR_LEADSPC) the conventional single space
    /// that it stripped is put back.
    /// </summary>
    public static byte[] FromMta(ReadOnlySpan<byte> value, bool leadingSpaceKept)
    {
        bool addSpace = !leadingSpaceKept && !value.IsEmpty && value[0] is not ((byte)' ' or (byte)'\t');
        int bareLf = 0;
        for (int i = 0; i < value.Length; i++)
            if (value[i] == (byte)'\n' && (i == 0 || value[i - 1] != (byte)'\r')) bareLf++;

        if (!addSpace && bareLf == 0) return value.ToArray();

        var result = new byte[value.Length + bareLf + (addSpace ? 1 : 0)];
        int pos = 0;
        if (addSpace) result[pos++] = (byte)' ';
        for (int i = 0; i < value.Length; i++)
        {
            byte b = value[i];
            if (b == (byte)'\n' && (i == 0 || value[i - 1] != (byte)'\r')) result[pos++] = (byte)'\r';
            result[pos++] = b;
        }
        return result;
    }

    /// <summary>
    /// A value for SMFIR_ADDHEADER/INSHEADER/CHGHEADER: folding line breaks become bare LF (both Sendmail
    /// and Postfix store header lines LF-terminated and add the CR on output); without SMFIP_HDR_LEADSPC
    /// the MTA adds a space after the colon itself, so one leading space is removed. The result is
    /// <paramref name="value"/> itself or, when it has line breaks, written into <paramref name="buffer"/>
    /// (at least as long as the value): a folded signature header is written once per message, and a copy
    /// of it per message showed in the allocation profile.
    /// </summary>
    public static ReadOnlySpan<char> ToMta(string value, bool leadingSpaceKept, Span<char> buffer)
    {
        ReadOnlySpan<char> rest = value;
        if (!leadingSpaceKept && rest.StartsWith(' ')) rest = rest[1..];
        if (!rest.Contains('\r')) return rest;
        int length = 0;
        while (true)
        {
            int crlf = rest.IndexOf("\r\n");
            if (crlf < 0) break;
            rest[..crlf].CopyTo(buffer[length..]);
            length += crlf;
            buffer[length++] = '\n';
            rest = rest[(crlf + 2)..];
        }
        rest.CopyTo(buffer[length..]);
        return buffer[..(length + rest.Length)];
    }

    /// <summary>
    /// The field name as text. RFC 5322 names are ASCII, but a stray 8-bit name (Sendmail passes one) must come back
    /// as the same bytes when a plugin hashes it: UTF-8, as everything else here. ASCII turned each such byte into
    /// "?", and a good DomainKeys signature over an "X-été:" field failed (an independent comparison's find).
    /// </summary>
    public static string Name(ReadOnlySpan<byte> name) => Encoding.UTF8.GetString(name);
}
