namespace Milters.LoadGen.Cli;

/// <summary>
/// A minimal <c>--name value</c> / <c>--name=value</c> / <c>--flag</c> reader. A benchmark tool with a
/// dozen flags does not justify a parsing dependency that the host might pin to another version.
/// </summary>
internal sealed class ArgReader
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public ArgReader(IEnumerable<string> args, IReadOnlySet<string> flagNames)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--") { _positional.Add(arg); continue; }
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            if (flagNames.Contains(name) && value is null) { _flags.Add(name); continue; }
            if (value is null)
            {
                if (!e.MoveNext()) throw new ArgumentException($"--{name} needs a value");
                value = e.Current;
            }
            if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
            list.Add(value);
        }
    }

    public IReadOnlyList<string> Positional => _positional;

    public bool Flag(string name) { _used.Add(name); return _flags.Contains(name); }

    public string? Get(string name) { _used.Add(name); return _values.TryGetValue(name, out var v) ? v[^1] : null; }

    public IReadOnlyList<string> All(string name) { _used.Add(name); return _values.TryGetValue(name, out var v) ? v : []; }

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required");

    /// <summary>Throws for any option that no one asked about: a typo must not silently change a benchmark.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Concat(_flags).Where(n => !_used.Contains(n)).ToList();
        if (unknown.Count > 0) throw new ArgumentException("unknown option(s): " + string.Join(", ", unknown.Select(n => "--" + n)));
    }

    public static TimeSpan ParseDuration(string text)
    {
        text = text.Trim();
        if (text.EndsWith("ms", StringComparison.Ordinal)) return TimeSpan.FromMilliseconds(double.Parse(text[..^2], System.Globalization.CultureInfo.InvariantCulture));
        if (text.EndsWith('s')) return TimeSpan.FromSeconds(double.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture));
        if (text.EndsWith('m')) return TimeSpan.FromMinutes(double.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture));
        if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span)) return span;
        return TimeSpan.FromSeconds(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
    }
}
