namespace Milters.SenderId.Spf;

/// <summary>
/// What check_host() returned: the result, a short reason for humans and logs (which term matched or
/// what went wrong), the explanation string for a fail (RFC 7208 §6.2), and what the evaluation cost.
/// </summary>
public sealed record SpfOutcome(
    SpfResult Result,
    string Reason,
    string? Explanation = null,
    string? Mechanism = null,
    int DnsTerms = 0,
    int VoidLookups = 0)
{
    public override string ToString() => $"{Result.ToToken()} ({Reason})";
}
