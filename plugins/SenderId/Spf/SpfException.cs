namespace Milters.SenderId.Spf;

/// <summary>
/// Ends an evaluation early with permerror or temperror (RFC 7208 §2.6.6, §2.6.7). Thrown only for
/// faults in the published policy or in DNS, never for bugs; the evaluator turns it into a result.
/// </summary>
public sealed class SpfException(SpfResult result, string reason) : Exception(reason)
{
    public SpfResult Result { get; } = result;

    public static SpfException Perm(string reason) => new(SpfResult.PermError, reason);

    public static SpfException Temp(string reason) => new(SpfResult.TempError, reason);
}
