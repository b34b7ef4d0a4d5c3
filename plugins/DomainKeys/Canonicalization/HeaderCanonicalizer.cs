using System.Text;
using Milters.Abstractions;

namespace Milters.DomainKeys.Canonicalization;

/// <summary>
/// Writes one header field in canonical form (RFC 4870 §3.4): "simple" keeps the field exactly as it
/// arrived (name, colon, raw value with its folding) plus CRLF; "nofws" removes every SP, HTAB, CR and LF
/// from the whole field (name included, unfolding it) and then appends CRLF. The raw value comes from the
/// host with CRLF line breaks and its leading white space intact (SMFIP_HDR_LEADSPC).
/// </summary>
internal static class HeaderCanonicalizer
{
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    public static void Write(CanonicalizationAlgorithm algorithm, HeaderField header, IByteSink sink)
    {
        // Sized to pass the GetMaxByteCount test in Encode: a scratch a few bytes short sent every name to a new array.
        Span<byte> name = stackalloc byte[Math.Min(Encoding.UTF8.GetMaxByteCount(header.Name.Length), 1024)];
        var nameBytes = Encode(header.Name, name);
        if (algorithm == CanonicalizationAlgorithm.Simple)
        {
            sink.Write(nameBytes);
            sink.Write(":"u8);
            sink.Write(header.RawValue.Span);
        }
        else
        {
            WithoutWhiteSpace(nameBytes, sink);
            sink.Write(":"u8);
            WithoutWhiteSpace(header.RawValue.Span, sink);
        }
        sink.Write(Crlf);
    }

    private static ReadOnlySpan<byte> Encode(string name, Span<byte> scratch)
    {
        // Field names are printable US-ASCII (RFC 5322 §3.6.8); UTF-8 keeps any stray byte as the MTA sent it.
        if (Encoding.UTF8.GetMaxByteCount(name.Length) <= scratch.Length)
            return scratch[..Encoding.UTF8.GetBytes(name, scratch)];
        return Encoding.UTF8.GetBytes(name);
    }

    private static void WithoutWhiteSpace(ReadOnlySpan<byte> bytes, IByteSink sink)
    {
        while (!bytes.IsEmpty)
        {
            var ws = bytes.IndexOfAny(" \t\r\n"u8);
            if (ws < 0)
            {
                sink.Write(bytes);
                return;
            }
            if (ws > 0) sink.Write(bytes[..ws]);
            bytes = bytes[(ws + 1)..];
        }
    }
}
