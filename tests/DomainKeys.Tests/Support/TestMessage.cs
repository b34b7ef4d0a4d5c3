using System.Text;
using Milters.Abstractions;

namespace Milters.DomainKeys.Tests.Support;

/// <summary>
/// A raw message split the way the milter protocol delivers it: header fields (name, raw value after the
/// colon with folding CRLFs, no trailing CRLF) and the body (CRLF lines). LF-only input is turned into CRLF,
/// as an MTA does.
/// </summary>
internal sealed class TestMessage
{
    public TestMessage(List<HeaderField> headers, byte[] body)
    {
        Headers = headers;
        Body = body;
    }

    public List<HeaderField> Headers { get; }

    public byte[] Body { get; }

    public static TestMessage Parse(string text) => Parse(Encoding.UTF8.GetBytes(text));

    public static TestMessage Parse(byte[] raw)
    {
        raw = ToCrlf(raw);
        var headers = new List<HeaderField>();
        var pos = 0;
        while (pos < raw.Length)
        {
            if (raw.AsSpan(pos).StartsWith("\r\n"u8))
            {
                pos += 2;
                break;
            }
            // A field runs until a CRLF not followed by WSP.
            var end = pos;
            while (true)
            {
                var crlf = raw.AsSpan(end).IndexOf("\r\n"u8);
                if (crlf < 0) { end = raw.Length; break; }
                end += crlf;
                if (end + 2 < raw.Length && raw[end + 2] is (byte)' ' or (byte)'\t') { end += 2; continue; }
                break;
            }
            var field = raw.AsSpan(pos, end - pos);
            var colon = field.IndexOf((byte)':');
            if (colon < 0) throw new FormatException("header line without colon: " + Encoding.UTF8.GetString(field));
            headers.Add(new HeaderField(Encoding.UTF8.GetString(field[..colon]), field[(colon + 1)..].ToArray()));
            pos = Math.Min(end + 2, raw.Length);
        }
        return new TestMessage(headers, raw.AsSpan(Math.Min(pos, raw.Length)).ToArray());
    }

    /// <summary>The message as bytes again (header fields, empty line, body).</summary>
    public byte[] ToBytes(IEnumerable<HeaderField>? prepend = null)
    {
        var stream = new MemoryStream();
        foreach (var h in (prepend ?? []).Concat(Headers))
        {
            stream.Write(Encoding.UTF8.GetBytes(h.Name + ":"));
            stream.Write(h.RawValue.Span);
            stream.Write("\r\n"u8);
        }
        stream.Write("\r\n"u8);
        stream.Write(Body);
        return stream.ToArray();
    }

    public static byte[] ToCrlf(byte[] raw)
    {
        if (raw.AsSpan().IndexOf((byte)'\n') < 0) return raw;
        var output = new MemoryStream(raw.Length + 64);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\n' && (i == 0 || raw[i - 1] != (byte)'\r')) output.WriteByte((byte)'\r');
            output.WriteByte(raw[i]);
        }
        return output.ToArray();
    }
}
