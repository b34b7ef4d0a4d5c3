using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>
/// Macros per stage as the MTA sent them (SMFIC_MACRO). A new set for a stage replaces the old one (each
/// RCPT brings its own). Names are stored without braces, so "{daemon_name}" and "daemon_name" both find it.
/// </summary>
public sealed class Macros : IMacros
{
    private static readonly int StageCount = Enum.GetValues<MacroStage>().Length;

    private readonly Dictionary<string, string>?[] byStage = new Dictionary<string, string>?[StageCount];

    /// <summary>Stages in the order they were last defined; lookups go from the latest.</summary>
    private readonly List<MacroStage> order = new(StageCount);

    public void Set(MacroStage stage, IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        // Sized once and indexed, not enumerated through an interface: this runs for every macro frame.
        var values = byStage[(int)stage] ??= new Dictionary<string, string>(pairs.Count, StringComparer.Ordinal);
        values.Clear();
        values.EnsureCapacity(pairs.Count);
        for (int i = 0; i < pairs.Count; i++) values[Normalize(pairs[i].Key)] = pairs[i].Value;
        order.Remove(stage);
        order.Add(stage);
    }

    public string? Get(string name)
    {
        var key = Normalize(name);
        for (int i = order.Count - 1; i >= 0; i--)
            if (byStage[(int)order[i]]!.TryGetValue(key, out var value)) return value;
        return null;
    }

    public string? Get(MacroStage stage, string name) =>
        byStage[(int)stage] is { } values && values.TryGetValue(Normalize(name), out var value) ? value : null;

    /// <summary>Drops the macros of the message stages (MAIL onwards); connection and HELO macros stay.</summary>
    public void ClearMessageStages()
    {
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var stage = order[i];
            if (stage is MacroStage.Connect or MacroStage.Helo) continue;
            byStage[(int)stage]!.Clear();
            order.RemoveAt(i);
        }
    }

    public void Clear()
    {
        foreach (var values in byStage) values?.Clear();
        order.Clear();
    }

    private static string Normalize(string name) =>
        name.Length > 2 && name[0] == '{' && name[^1] == '}' ? name[1..^1] : name;
}
