using System.Buffers;
using Milters.Abstractions;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Milter.Session;

/// <summary>Turns a verdict into its reply frame.</summary>
public static class VerdictWriter
{
    /// <summary>
    /// Writes the frame for <paramref name="verdict"/>. A reply text is sent as SMFIR_REPLYCODE only when its
    /// code fits the verdict (4xx for tempfail, 5xx for reject — the MTAs refuse others); otherwise the
    /// plain SMFIR_TEMPFAIL / SMFIR_REJECT goes out and <paramref name="invalidReply"/> says why.
    /// </summary>
    public static void Write(IBufferWriter<byte> w, Verdict verdict, bool canSkip, out string? invalidReply)
    {
        invalidReply = null;
        switch (verdict.Kind)
        {
            case VerdictKind.Continue:
                MilterResponseWriter.WriteContinue(w);
                break;
            case VerdictKind.Skip:
                if (canSkip) MilterResponseWriter.WriteSkip(w);
                else MilterResponseWriter.WriteContinue(w);
                break;
            case VerdictKind.Accept:
                MilterResponseWriter.WriteAccept(w);
                break;
            case VerdictKind.Discard:
                MilterResponseWriter.WriteDiscard(w);
                break;
            case VerdictKind.TempFail:
            case VerdictKind.Reject:
            {
                char digit = verdict.Kind == VerdictKind.TempFail ? '4' : '5';
                if (verdict.Reply is { } reply && (invalidReply = Check(reply, digit)) is null)
                    MilterResponseWriter.WriteReplyCode(w, Format(reply));
                else if (verdict.Kind == VerdictKind.TempFail)
                    MilterResponseWriter.WriteTempFail(w);
                else
                    MilterResponseWriter.WriteReject(w);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(verdict), verdict.Kind, null);
        }
    }

    /// <summary>RFC 5321 §4.2: three digits; RFC 3463 §2: class.subject.detail with the same class digit.</summary>
    private static string? Check(SmtpReply reply, char digit)
    {
        var code = reply.Code;
        if (code.Length != 3 || code[0] != digit || !char.IsAsciiDigit(code[1]) || !char.IsAsciiDigit(code[2]))
            return $"reply code \"{code}\" does not fit a {digit}xx answer";
        if (reply.EnhancedStatus is { } status)
        {
            var parts = status.Split('.');
            if (parts.Length != 3 || parts[0] != digit.ToString() || !parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit)))
                return $"enhanced status \"{status}\" does not fit a {digit}xx answer";
        }
        return null;
    }

    /// <summary>
    /// The longest reply text sent. RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; the text can carry words
    /// from outside (an SPF exp= explanation, an envelope address), so it is shortened, not trusted.
    /// </summary>
    public const int MaxReplyText = 400;

    /// <summary>
    /// One line of printable ASCII, '%' doubled: libmilter's rule for reply text (smfi_setreply(3)) — the MTA reads
    /// it printf-style, and Sendmail answers a text with a lone '%' with its own 554 5.7.1 "Command rejected",
    /// turning a 451 into a bounce. CR, LF and NUL would break the frame or the reply; 8-bit text is not for an SMTP
    /// reply without SMTPUTF8.
    /// </summary>
    internal static string Format(SmtpReply reply)
    {
        var text = reply.Text.ReplaceLineEndings(" ");
        var clean = new System.Text.StringBuilder(Math.Min(text.Length, MaxReplyText) + 8);
        foreach (var c in text)
        {
            if (clean.Length == MaxReplyText) { clean.Length -= 3; clean.Append("..."); break; }
            clean.Append(c is >= ' ' and <= '~' ? c : c is '\t' or '\0' ? ' ' : '?');
        }
        var escaped = clean.Replace("%", "%%").ToString();
        return reply.EnhancedStatus is null ? $"{reply.Code} {escaped}" : $"{reply.Code} {reply.EnhancedStatus} {escaped}";
    }
}
