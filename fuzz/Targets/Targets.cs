namespace Milters.Fuzz;

/// <summary>
/// The fuzz targets by name. A target catches only the exception types its parser documents for bad
/// input; anything else escapes and is a finding (AFL++ records it as a crash).
/// </summary>
public static class Targets
{
    public delegate void Target(ReadOnlySpan<byte> input);

    public static readonly IReadOnlyDictionary<string, Target> All = new Dictionary<string, Target>(StringComparer.Ordinal)
    {
        ["milter-frames"] = MilterFramesTarget.Run,
        ["milter-session"] = MilterSessionTarget.Run,
        ["dk-tags"] = DomainKeysTagsTarget.Run,
        ["spf-record"] = SpfRecordTarget.Run,
        ["spf-macro"] = SpfMacroTarget.Run,
        ["authres"] = AuthResultsTarget.Run,
        ["pra"] = PraTarget.Run,
    };
}
