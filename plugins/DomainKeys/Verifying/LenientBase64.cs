namespace Milters.DomainKeys.Verifying;

/// <summary>
/// Base64 read as Perl's MIME::Base64 reads it, which is how Mail::DKIM reads b= — the reference for DomainKeys'
/// byte-level details. Characters outside the alphabet are skipped, a last group of two or three characters
/// stands without its padding, and decoding ends at the first group that holds "=". Written here because neither
/// Convert (strict) nor MimeKit's decoder (no end without padding) reads it so: an independent comparison found
/// signatures whose b= had lost its padding, or had text after it, passing at Mail::DKIM and failing here.
/// </summary>
internal static class LenientBase64
{
    private const byte Skip = 0xFF, Pad = 0xFE;

    private static readonly byte[] Values = BuildValues();

    private static byte[] BuildValues()
    {
        var values = new byte[256];
        Array.Fill(values, Skip);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (var i = 0; i < alphabet.Length; i++) values[alphabet[i]] = (byte)i;
        values['='] = Pad;
        return values;
    }

    public static byte[] Decode(string text)
    {
        var output = new List<byte>(text.Length * 3 / 4);
        Span<byte> group = stackalloc byte[4];
        var at = 0;
        while (at < text.Length)
        {
            var n = 0;
            while (n < 4 && at < text.Length)
            {
                var c = text[at++];
                var value = c < 256 ? Values[c] : Skip;
                if (value != Skip) group[n++] = value;
            }
            if (n < 4)
            {
                if (n < 2) break;          // one character alone makes no byte
                if (n == 2) group[2] = Pad;
                group[3] = Pad;
            }
            if (group[0] == Pad || group[1] == Pad) break;
            output.Add((byte)((group[0] << 2) | (group[1] >> 4)));
            if (group[2] == Pad) break;
            output.Add((byte)(((group[1] & 0x0F) << 4) | (group[2] >> 2)));
            if (group[3] == Pad) break;
            output.Add((byte)(((group[2] & 0x03) << 6) | group[3]));
        }
        return [.. output];
    }
}
