using System.Globalization;

namespace Milters.LoadGen.Messages;

/// <summary>
/// A weighted mix of message sizes, e.g. <c>1k:50,4k:30,64k:15,1m:4,10m:1</c> (weights optional).
/// The size of message i is a pure function of (seed, i), so two runs send the same traffic.
/// </summary>
internal sealed class SizeMix
{
    private readonly (int Size, int Weight)[] _classes;
    private readonly int _totalWeight;

    private SizeMix((int, int)[] classes)
    {
        _classes = classes;
        _totalWeight = classes.Sum(c => c.Item2);
    }

    public IReadOnlyList<(int Size, int Weight)> Classes => _classes;

    public override string ToString() =>
        string.Join(",", _classes.Select(c => $"{FormatSize(c.Size)}:{c.Weight}"));

    public static SizeMix Parse(string text)
    {
        var classes = new List<(int, int)>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] pieces = part.Split(':');
            int size = ParseSize(pieces[0]);
            int weight = pieces.Length > 1 ? int.Parse(pieces[1], CultureInfo.InvariantCulture) : 1;
            if (weight <= 0) throw new FormatException($"weight of {part} must be positive");
            classes.Add((size, weight));
        }
        if (classes.Count == 0) throw new FormatException("empty size mix");
        return new SizeMix([.. classes]);
    }

    /// <summary>Index into <see cref="Classes"/> for message number <paramref name="index"/>.</summary>
    public int ClassOf(long index, ulong seed)
    {
        if (_classes.Length == 1) return 0;
        ulong state = seed ^ (ulong)(index + 1) * 0x9E3779B97F4A7C15UL;
        if (state == 0) state = 1;
        int pick = (int)(BodyPattern.Next(ref state) % (ulong)_totalWeight);
        for (int i = 0; i < _classes.Length; i++)
        {
            pick -= _classes[i].Weight;
            if (pick < 0) return i;
        }
        return _classes.Length - 1;
    }

    public static int ParseSize(string text)
    {
        text = text.Trim().ToLowerInvariant();
        long factor = 1;
        if (text.EndsWith("kb") || text.EndsWith("mb")) text = text[..^1];
        if (text.EndsWith('k')) { factor = 1024; text = text[..^1]; }
        else if (text.EndsWith('m')) { factor = 1024 * 1024; text = text[..^1]; }
        long value = (long)(double.Parse(text, CultureInfo.InvariantCulture) * factor);
        if (value < 256 || value > int.MaxValue) throw new FormatException($"message size {text} out of range (256 bytes … 2 GB)");
        return (int)value;
    }

    public static string FormatSize(long size) => size switch
    {
        >= 1024 * 1024 when size % (1024 * 1024) == 0 => $"{size / (1024 * 1024)}m",
        >= 1024 when size % 1024 == 0 => $"{size / 1024}k",
        _ => size.ToString(CultureInfo.InvariantCulture),
    };
}
