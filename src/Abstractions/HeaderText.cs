namespace Milters.Abstractions;

/// <summary>
/// Text from outside (macros, the envelope, DNS answers, header fields) made safe to put into a header field a
/// plugin adds: a line break with the white space after it becomes one space, every other control character
/// (C0, DEL, C1) a space, so nothing can start a new header line or end a quoted-string early. The host refuses
/// a header edit with a bare line break (<see cref="IMessageEdits"/>), and a plugin that trips over that fails
/// its message.
/// </summary>
public static class HeaderText
{
    public static string Sanitize(string text)
    {
        var clean = true;
        foreach (var c in text)
            if (IsControl(c)) { clean = false; break; }
        if (clean) return text;

        var sb = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\r' or '\n')
            {
                while (i + 1 < text.Length && text[i + 1] is '\r' or '\n' or ' ' or '\t') i++;
                sb.Append(' ');
            }
            else sb.Append(IsControl(c) ? ' ' : c);
        }
        return sb.ToString();
    }

    /// <summary>
    /// The longest address or name worth writing into a header (RFC 5321 §4.5.3.1: a 64-character local-part,
    /// "@", a 255-character domain). Longer values come only from a client that sends nonsense, and written
    /// whole they could make a line longer than RFC 5322's 998 characters.
    /// </summary>
    public const int MaxAddressLength = 64 + 1 + 255;

    /// <summary>
    /// <paramref name="text"/> cut to at most <paramref name="max"/> characters, ending in "..." when cut, never
    /// in half a character. For text from outside (an SPF explanation) that may have no space to fold at.
    /// </summary>
    public static string Shorten(string text, int max)
    {
        if (text.Length <= max) return text;
        var cut = max - 3;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        return text[..cut] + "...";
    }

    private static bool IsControl(char c) => c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0);
}
