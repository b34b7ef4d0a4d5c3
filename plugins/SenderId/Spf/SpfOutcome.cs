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
    /// <summary>True when a %{l} or %{s} macro took part in a name looked up, so the local-part counted (RFC 8601 §2.7.2).</summary>
    public bool LocalPartUsed { get; init; }

    /// <summary>True when the result came from the configured best-guess record, not from the domain (sid-filter -B).</summary>
    public bool BestGuess { get; init; }

    public override string ToString() => $"{Result.ToToken()} ({Reason})";
}
