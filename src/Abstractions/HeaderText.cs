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

    private static bool IsControl(char c) => c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0);
}
