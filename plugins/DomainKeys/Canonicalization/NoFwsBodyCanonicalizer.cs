namespace Milters.DomainKeys.Canonicalization;

/// <summary>
/// RFC 4870 §3.4.2 "nofws" for the body: every SP and HTAB removed, CR and LF kept only as CRLF pairs
/// (a CR not followed by LF, or an LF not preceded by CR, is dropped — after the white space is gone, so
/// "CR SP LF" is a line end), then the "simple" rule for trailing empty lines (a line of white space is
/// empty). Byte-compatible with Mail::DKIM's dk_nofws. Works on runs between special bytes, without copying.
/// </summary>
internal sealed class NoFwsBodyCanonicalizer(IByteSink sink) : IBodyCanonicalizer
{
    private readonly SimpleBodyCanonicalizer lines = new(sink);
    private bool pendingCr;

    public void Write(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            if (pendingCr)
            {
                var b = chunk[0];
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r')
                {
                    // White space is removed first; a second CR makes the first one standalone.
                    chunk = chunk[1..];
                    continue;
                }
                pendingCr = false;
                if (b == (byte)'\n')
                {
                    lines.Write("\r\n"u8);
                    chunk = chunk[1..];
                    continue;
                }
                // Standalone CR: dropped; b is ordinary content, handled below.
            }

            var special = chunk.IndexOfAny(" \t\r\n"u8);
            if (special < 0)
            {
                lines.Write(chunk);
                return;
            }
            if (special > 0) lines.Write(chunk[..special]);
            if (chunk[special] == (byte)'\r') pendingCr = true;
            // SP, HTAB and an LF without CR are dropped.
            chunk = chunk[(special + 1)..];
        }
    }

    public void Finish()
    {
        pendingCr = false; // a CR at the very end has no LF: standalone, dropped
        lines.Finish();
    }
}
