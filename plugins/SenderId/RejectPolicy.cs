using Milters.SenderId.Spf;

namespace Milters.SenderId;

/// <summary>Which check a reject names: the %t of the reject text ("Sender-ID" or "SPF", as sid-filter).</summary>
public enum CheckName
{
    SenderId,
    Spf,
}

/// <summary>sid-filter's decision table for -r (rejection modes 0-5), as a pure function.</summary>
public static class RejectPolicy
{
    /// <summary>The check to blame when the mode says reject, or null to accept.</summary>
    public static CheckName? Decide(RejectMode mode, SpfResult senderId, SpfResult spf)
    {
        bool sidFail = senderId == SpfResult.Fail, spfFail = spf == SpfResult.Fail;
        bool sidPass = senderId == SpfResult.Pass, spfPass = spf == SpfResult.Pass;
        return mode switch
        {
            RejectMode.Never => null,
            RejectMode.BothFail => sidFail && spfFail ? CheckName.Spf : null,
            RejectMode.EitherFails => spfFail ? CheckName.Spf : sidFail ? CheckName.SenderId : null,
            RejectMode.UnlessOnePasses => !sidPass && !spfPass ? CheckName.Spf : null,
            RejectMode.UnlessBothPass => !spfPass ? CheckName.Spf : !sidPass ? CheckName.SenderId : null,
            RejectMode.FailWithoutPass => !sidPass && !spfPass && (sidFail || spfFail)
                ? (spfFail ? CheckName.Spf : CheckName.SenderId) : null,
            _ => null,
        };
    }

    /// <summary>
    /// The reply text: sid-filter's default "Rejected due to %t policy for sender %a", or the -M template
    /// with %a (address), %e (result text), %i (client IP), %t (check name) and %% (a percent sign).
    /// A "%" that starts no escape stays as written ("100% sure").
    /// </summary>
    public static string FormatText(string? template, CheckName check, string address, string result, string ip)
    {
        var which = check == CheckName.SenderId ? "Sender-ID" : "SPF";
        if (template is null) return $"Rejected due to {which} policy for sender {address}";
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c != '%' || i + 1 >= template.Length) { sb.Append(c); continue; }
            var n = template[++i];
            switch (n)
            {
                case 'a': sb.Append(address); break;
                case 'e': sb.Append(result); break;
                case 'i': sb.Append(ip); break;
                case 't': sb.Append(which); break;
                case '%': sb.Append('%'); break;
                // Not an escape: "100% sure" keeps its text rather than losing "% " to a letter nobody defined.
                default: sb.Append('%').Append(n); break;
            }
        }
        return sb.ToString();
    }
}
