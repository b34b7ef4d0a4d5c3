namespace Milters.SenderId.Spf;

/// <summary>The results of check_host() (RFC 7208 §2.6; RFC 4406 §4.2 uses the same set).</summary>
public enum SpfResult
{
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

/// <summary>A directive's qualifier (RFC 7208 §4.6.2): what a matching mechanism yields.</summary>
public enum SpfQualifier
{
    Pass,     // "+" (the default)
    Fail,     // "-"
    SoftFail, // "~"
    Neutral,  // "?"
}

public static class SpfResults
{
    /// <summary>The lower-case word used in Received-SPF and Authentication-Results ("softfail", "permerror" …).</summary>
    public static string ToToken(this SpfResult result) => result switch
    {
        SpfResult.None => "none",
        SpfResult.Neutral => "neutral",
        SpfResult.Pass => "pass",
        SpfResult.Fail => "fail",
        SpfResult.SoftFail => "softfail",
        SpfResult.TempError => "temperror",
        SpfResult.PermError => "permerror",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, null),
    };

    public static bool TryParse(string token, out SpfResult result)
    {
        foreach (var r in Enum.GetValues<SpfResult>())
        {
            if (string.Equals(r.ToToken(), token, StringComparison.OrdinalIgnoreCase)) { result = r; return true; }
        }
        result = default;
        return false;
    }

    public static SpfResult ToResult(this SpfQualifier qualifier) => qualifier switch
    {
        SpfQualifier.Pass => SpfResult.Pass,
        SpfQualifier.Fail => SpfResult.Fail,
        SpfQualifier.SoftFail => SpfResult.SoftFail,
        _ => SpfResult.Neutral,
    };
}
