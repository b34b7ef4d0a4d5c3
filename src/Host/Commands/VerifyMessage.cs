using System.Text;

namespace Milters.Host.Commands;

/// <summary>
/// A message file split the way an MTA hands it to a milter: header fields (name, value with its folding,
/// CRLF line ends) and the body with CRLF line ends. Files on disk usually have LF line ends; an mbox
/// "From " line at the top is dropped. Bytes above 127 are kept as they are (Latin-1 round trip).
/// </summary>
public sealed record VerifyMessage(IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    /// <summary>"From sender date" starts an mbox entry; "From : addr" (RFC 5322 obs-from, white space before the colon) is a header field.</summary>
    private static bool IsMboxSeparator(string text) =>
        text.StartsWith("From ", StringComparison.Ordinal) && !text.AsSpan(5).TrimStart(" \t").StartsWith(":");

    public static VerifyMessage Parse(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (IsMboxSeparator(text)) text = text[(text.IndexOf('\n') is var nl && nl < 0 ? text.Length : nl + 1)..];

        var headers = new List<(string Name, string Value)>();
        var position = 0;
        while (position < text.Length)
        {
            var end = text.IndexOf('\n', position);
            if (end < 0) end = text.Length;
            var line = text[position..end];
            if (line.Length == 0) { position = end + 1; break; }
            if (line[0] is ' ' or '\t')
            {
                if (headers.Count == 0) throw new FormatException("the message starts with a continuation line");
                var (name, value) = headers[^1];
                headers[^1] = (name, value + "\r\n" + line);
            }
            else
            {
                var colon = line.IndexOf(':');
                if (colon <= 0) { break; } // not a header: the body starts here (no blank line)
                headers.Add((line[..colon].TrimEnd(), line[(colon + 1)..]));
            }
            position = end + 1;
            if (end == text.Length) break;
        }

        var body = position >= text.Length ? "" : text[position..].Replace("\n", "\r\n", StringComparison.Ordinal);
        return new VerifyMessage(headers, Encoding.Latin1.GetBytes(body));
    }

    /// <summary>The address in a header like From: or Return-Path: (the part in angle brackets, else the whole trimmed value).</summary>
    public string? Address(string headerName)
    {
        var value = Headers.FirstOrDefault(h => h.Name.Equals(headerName, StringComparison.OrdinalIgnoreCase)).Value;
        if (value is null) return null;
        value = value.Replace("\r\n", "", StringComparison.Ordinal).Trim();
        var lt = value.LastIndexOf('<');
        var gt = value.LastIndexOf('>');
        return lt >= 0 && gt > lt ? value[(lt + 1)..gt] : value;
    }
}
