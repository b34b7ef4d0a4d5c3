using Milters.Abstractions;

namespace Milters.DomainKeys.Verifying;

/// <summary>
/// The outcome for one DomainKey-Signature in RFC 8601 words, plus what dk-filter's -C needs to choose an action.
/// </summary>
internal sealed record VerificationResult(
    AuthResultCode Code,
    string? Reason,
    VerificationFailure Failure,
    string? Domain = null,
    string? Selector = null,
    SendingAddress? Identity = null,
    bool Testing = false)
{
    public AuthenticationResult ToAuthenticationResult()
    {
        var properties = new List<AuthProperty>();
        if (Domain is not null) properties.Add(new AuthProperty("header", "d", Domain));
        if (Selector is not null) properties.Add(new AuthProperty("header", "s", Selector));
        if (Identity is not null) properties.Add(new AuthProperty("header", Identity.PropertyName, Identity.Address));
        return new AuthenticationResult(AuthMethods.DomainKeys, Code, Reason, properties);
    }
}

/// <summary>Which dk-filter -C result a verification outcome falls under.</summary>
internal enum VerificationFailure
{
    /// <summary>Verified (or testing: RFC 4870 §3.2.3 says treat like unsigned, so no failure action).</summary>
    None,
    /// <summary>"badsignature": did not verify, or could not be used (malformed, no key, revoked, wrong domain).</summary>
    BadSignature,
    /// <summary>"nosignature": nothing to verify.</summary>
    NoSignature,
    /// <summary>"dnserror": the key could not be fetched for now.</summary>
    DnsError,
    /// <summary>"internal": our own failure.</summary>
    Internal,
}
