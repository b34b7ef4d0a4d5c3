namespace Milters.DomainKeys.Canonicalization;

/// <summary>
/// RFC 4870 §3.4.1 "simple" for the body: every line as it is, CRLF-terminated; all trailing empty lines
/// ignored. The empty line that separates header and body is the first line fed here, so that "if the body
/// consists entirely of empty lines, then the header/body line is similarly ignored" (§3.4.1).
/// A run of empty lines is only a count until a non-empty line proves it is not trailing.
/// Only CRLF ends a line (a bare CR or LF is line content), as the MTA delivers the body in CRLF form.
/// </summary>
internal sealed class SimpleBodyCanonicalizer(IByteSink sink) : IBodyCanonicalizer
{
    private static readonly byte[] CrlfRun = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"u8.ToArray();

    // The header/body separator is the first (empty) line: held like any other empty line.
    private long heldEmptyLines = 1;
    private bool atLineStart = true;
    private bool crAtLineStart;   // a CR opened the line; an LF next makes it an empty line
    private bool lastByteWasCr;   // inside a line: the previous byte written was CR

    public void Write(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            if (atLineStart)
            {
                if (crAtLineStart)
                {
                    crAtLineStart = false;
                    if (chunk[0] == (byte)'\n')
                    {
                        heldEmptyLines++;
                        chunk = chunk[1..];
                        continue;
                    }
                    // CR without LF starts a non-empty line.
                    FlushHeldLines();
                    sink.Write("\r"u8);
                    atLineStart = false;
                    lastByteWasCr = true;
                    continue;
                }
                if (chunk[0] == (byte)'\r')
                {
                    crAtLineStart = true;
                    chunk = chunk[1..];
                    continue;
                }
                FlushHeldLines();
                atLineStart = false;
                lastByteWasCr = false;
            }

            var lf = chunk.IndexOf((byte)'\n');
            if (lf < 0)
            {
                sink.Write(chunk);
                lastByteWasCr = chunk[^1] == (byte)'\r';
                return;
            }
            var endsLine = lf > 0 ? chunk[lf - 1] == (byte)'\r' : lastByteWasCr;
            sink.Write(chunk[..(lf + 1)]);
            chunk = chunk[(lf + 1)..];
            lastByteWasCr = false;
            atLineStart = endsLine;
        }
    }

    public void Finish()
    {
        // A lone CR after the last line break is content, not an empty line.
        if (crAtLineStart)
        {
            FlushHeldLines();
            sink.Write("\r"u8);
            crAtLineStart = false;
        }
        heldEmptyLines = 0;
    }

    private void FlushHeldLines()
    {
        while (heldEmptyLines > 0)
        {
            var n = (int)Math.Min(heldEmptyLines, CrlfRun.Length / 2);
            sink.Write(CrlfRun.AsSpan(0, n * 2));
            heldEmptyLines -= n;
        }
    }
}
