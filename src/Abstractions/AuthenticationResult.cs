namespace Milters.Abstractions;

/// <summary>Result values from the RFC 8601 §2.7 registry (RFC 8601 §6.3), as one vocabulary for every method.</summary>
public enum AuthResultCode
{
    None,
    Pass,
    Fail,
    SoftFail,
    Neutral,
    Policy,
    TempError,
    PermError,
}

/// <summary>Well-known method names (RFC 8601 §2.7, IANA "Email Authentication Methods").</summary>
public static class AuthMethods
{
    public const string DomainKeys = "domainkeys"; // RFC 4870
    public const string SenderId = "sender-id";    // RFC 4406
    public const string Spf = "spf";               // RFC 7208
    public const string Dkim = "dkim";             // RFC 6376
}

/// <summary>
/// A property of a result: <c>ptype.property=value</c> (RFC 8601 §2.2), e.g. header.d=example.com,
/// smtp.mailfrom=user@example.com, header.from=example.com.
/// </summary>
public sealed record AuthProperty(string Type, string Name, string Value)
{
    public override string ToString() => $"{Type}.{Name}={Value}";
}

/// <summary>One method's verdict for the message, in RFC 8601's words. Written by a plugin, read by later ones.</summary>
public sealed record AuthenticationResult(
    string Method,
    AuthResultCode Result,
    string? Reason = null,
    IReadOnlyList<AuthProperty>? Properties = null)
{
    /// <summary>The plugin that produced it (set by the host).</summary>
    public string? Plugin { get; init; }

    public IReadOnlyList<AuthProperty> PropertyList => Properties ?? Array.Empty<AuthProperty>();

    public override string ToString()
    {
        var text = $"{Method}={AuthResultCodes.ToToken(Result)}";
        if (Reason is not null) text += $" ({Reason})";
        foreach (var p in PropertyList) text += " " + p;
        return text;
    }
}

public static class AuthResultCodes
{
    /// <summary>The lower-case token RFC 8601 uses ("softfail", "temperror" …).</summary>
    public static string ToToken(AuthResultCode code) => code switch
    {
        AuthResultCode.None => "none",
        AuthResultCode.Pass => "pass",
        AuthResultCode.Fail => "fail",
        AuthResultCode.SoftFail => "softfail",
        AuthResultCode.Neutral => "neutral",
        AuthResultCode.Policy => "policy",
        AuthResultCode.TempError => "temperror",
        AuthResultCode.PermError => "permerror",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };

    /// <summary>Parses a token (case-insensitive); "hardfail" maps to fail (RFC 8601 §2.7.2 legacy).</summary>
    public static bool TryParse(string token, out AuthResultCode code)
    {
        switch (token.ToLowerInvariant())
        {
            case "none": code = AuthResultCode.None; return true;
            case "pass": code = AuthResultCode.Pass; return true;
            case "fail": case "hardfail": code = AuthResultCode.Fail; return true;
            case "softfail": code = AuthResultCode.SoftFail; return true;
            case "neutral": code = AuthResultCode.Neutral; return true;
            case "policy": code = AuthResultCode.Policy; return true;
            case "temperror": code = AuthResultCode.TempError; return true;
            case "permerror": code = AuthResultCode.PermError; return true;
            default: code = default; return false;
        }
    }
}
