namespace Milters.SenderId.Spf;

/// <summary>Knobs of the check_host() evaluator.</summary>
public sealed record SpfEvaluatorOptions
{
    /// <summary>The explanation for a fail when the record has no usable exp= (RFC 7208 §6.2 leaves it to the receiver).</summary>
    public string? DefaultExplanation { get; init; }

    /// <summary>%{r}: the receiving host's domain (RFC 7208 §7.2); "unknown" when not known.</summary>
    public string ReceiverName { get; init; } = "unknown";

    /// <summary>Use "v=spf1" records for the PRA scope when no spf2.0/pra record exists (RFC 4406 §3.4; sid-filter -n turns it off).</summary>
    public bool UseSpf1ForPra { get; init; } = true;

    /// <summary>
    /// A record applied on behalf of a domain that publishes none (sid-filter -B "best-guess processing",
    /// "v=spf1 a/24 mx/24 ptr ?all"); null = off, the result is then "none" as the RFC says.
    /// </summary>
    public string? BestGuessRecord { get; init; }

    /// <summary>The "best guess" record sid-filter used with -B.</summary>
    public const string SidFilterBestGuess = "v=spf1 a/24 mx/24 ptr ?all";
}
