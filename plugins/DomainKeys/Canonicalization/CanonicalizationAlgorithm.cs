namespace Milters.DomainKeys.Canonicalization;

/// <summary>The two algorithms of RFC 4870 §3.4 (c= tag).</summary>
internal enum CanonicalizationAlgorithm
{
    /// <summary>"simple" (§3.4.1): lines as they are; trailing empty lines ignored.</summary>
    Simple,
    /// <summary>"nofws" (§3.4.2): all folding white space removed; trailing empty lines ignored.</summary>
    NoFws,
}

internal static class CanonicalizationNames
{
    public static string ToTag(CanonicalizationAlgorithm c) => c == CanonicalizationAlgorithm.NoFws ? "nofws" : "simple";

    /// <summary>Case-insensitive, as verifiers in the field (Mail::DKIM, libdk) treat it.</summary>
    public static bool TryParse(string? value, out CanonicalizationAlgorithm c)
    {
        switch (value?.ToLowerInvariant())
        {
            case "simple": c = CanonicalizationAlgorithm.Simple; return true;
            case "nofws": c = CanonicalizationAlgorithm.NoFws; return true;
            default: c = default; return false;
        }
    }
}
