using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Milters.Host.Metrics;

/// <summary>
/// Listens to the "Milters" instruments (a <see cref="MeterListener"/>, the same feed dotnet-counters gets) and
/// sums them between two summary lines, so the log line shows exactly what the metrics say.
/// </summary>
public sealed class MetricsSummary : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly Meter meter;
    private readonly ConcurrentDictionary<(string Instrument, string Tags), long> counts = new();
    private readonly ConcurrentDictionary<string, Distribution> distributions = new();
    private readonly ConcurrentDictionary<TagSet, string> keys = new();
    private long open;

    public MetricsSummary(MilterMetrics metrics)
    {
        meter = metrics.Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "milters.connections.active") Interlocked.Add(ref open, value);
            else counts.AddOrUpdate((instrument.Name, Key(tags)), static (_, v) => v, static (_, old, v) => old + v, value); // no closure per measurement
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
            distributions.GetOrAdd(instrument.Name, _ => new Distribution()).Add(value));
        listener.Start();
    }

    /// <summary>Connections open now.</summary>
    public long OpenConnections => Interlocked.Read(ref open);

    /// <summary>
    /// One line for the log: messages by verdict, connections, results per plugin, plugin verdicts, errors and DNS,
    /// for the period since the previous call (the counts start again from zero).
    /// </summary>
    public string TakeLine(TimeSpan period)
    {
        var taken = new Dictionary<(string Instrument, string Tags), long>();
        foreach (var key in counts.Keys)
            if (counts.TryRemove(key, out var value)) taken[key] = value;
        var messageTime = Take("milters.message.duration");
        var dnsTime = Take("milters.dns.duration");

        long Sum(string instrument) => taken.Where(k => k.Key.Instrument == instrument).Sum(k => k.Value);
        IEnumerable<(string Tags, long Count)> By(string instrument) =>
            taken.Where(k => k.Key.Instrument == instrument).Select(k => (k.Key.Tags, k.Value)).OrderBy(x => x.Tags, StringComparer.Ordinal);

        var line = new StringBuilder();
        period = TimeSpan.FromSeconds(Math.Round(period.TotalSeconds)); // a timer's period, not its jitter
        line.Append(CultureInfo.InvariantCulture, $"metrics for the last {period:c}: {Sum("milters.messages")} message(s)");
        AppendGroup(line, By("milters.messages"));
        if (messageTime.Count > 0) line.Append(CultureInfo.InvariantCulture, $", avg {messageTime.Average * 1000:0.#} ms, max {messageTime.Max * 1000:0.#} ms");
        line.Append(CultureInfo.InvariantCulture, $"; connections {Sum("milters.connections")} new, {OpenConnections} open");
        line.Append("; results");
        var results = By("milters.plugin.results").ToList();
        if (results.Count == 0) line.Append(" none");
        else foreach (var (tags, n) in results) line.Append(CultureInfo.InvariantCulture, $" {tags} {n},");
        TrimComma(line);
        var verdicts = By("milters.plugin.verdicts").ToList();
        if (verdicts.Count > 0)
        {
            line.Append("; plugin verdicts");
            foreach (var (tags, n) in verdicts) line.Append(CultureInfo.InvariantCulture, $" {tags} {n},");
            TrimComma(line);
        }
        line.Append(CultureInfo.InvariantCulture, $"; errors: plugins {Sum("milters.plugin.errors")}, protocol {Sum("milters.protocol.errors")}");
        line.Append(CultureInfo.InvariantCulture, $"; dns {Sum("milters.dns.lookups")} lookup(s)");
        AppendGroup(line, By("milters.dns.lookups").GroupBy(x => StatusOf(x.Tags)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Sum(x => x.Count))));
        if (dnsTime.Count > 0) line.Append(CultureInfo.InvariantCulture, $", avg {dnsTime.Average * 1000:0.##} ms, max {dnsTime.Max * 1000:0.##} ms");
        if (Sum("milters.dns.cache_hits") is var hits and > 0) line.Append(CultureInfo.InvariantCulture, $", {hits} answered from cache");
        return line.ToString();
    }

    public void Dispose() => listener.Dispose();

    private (long Count, double Average, double Max) Take(string instrument) =>
        distributions.TryRemove(instrument, out var d) ? d.Snapshot() : (0, 0, 0);

    private static void AppendGroup(StringBuilder line, IEnumerable<(string Tags, long Count)> parts)
    {
        var list = parts.Where(p => p.Count > 0).ToList();
        if (list.Count == 0) return;
        line.Append(" (").Append(string.Join(", ", list.Select(p => $"{p.Tags} {p.Count}"))).Append(')');
    }

    private static void TrimComma(StringBuilder line)
    {
        if (line.Length > 0 && line[^1] == ',') line.Length--;
    }

    /// <summary>
    /// The tags of one measurement, as strings. A measurement is taken several times per message; the line's key
    /// for each distinct set of tags is made once and kept (<see cref="keys"/>), not rebuilt every time.
    /// </summary>
    private readonly record struct TagSet(string? Name1, string? Value1, string? Name2, string? Value2, string? Name3, string? Value3);

    private string Key(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length > 3) return Key(tags.ToArray());
        var set = new TagSet(Name(tags, 0), Text(tags, 0), Name(tags, 1), Text(tags, 1), Name(tags, 2), Text(tags, 2));
        if (keys.TryGetValue(set, out var key)) return key;
        key = Key(tags.ToArray());
        // Tag values are names of verdicts, results, plugins and DNS types: few; the bound is a safety net.
        if (keys.Count < 4096) keys.TryAdd(set, key);
        return key;
    }

    private static string? Name(ReadOnlySpan<KeyValuePair<string, object?>> tags, int i) => i < tags.Length ? tags[i].Key : null;

    private static string? Text(ReadOnlySpan<KeyValuePair<string, object?>> tags, int i) =>
        i < tags.Length ? Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "" : null;

    /// <summary>"plugin=SenderId method=spf result=pass" → "SenderId spf=pass"; "verdict=accept" → "accept".</summary>
    private static string Key(KeyValuePair<string, object?>[] tags)
    {
        string? plugin = null, method = null, result = null, other = null;
        foreach (var (k, v) in tags)
        {
            var s = Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
            switch (k)
            {
                case "plugin": plugin = s; break;
                case "method": method = s; break;
                case "result": result = s; break;
                default: other = other is null ? $"{k}={s}" : $"{other} {k}={s}"; break;
            }
        }
        if (method is not null) return $"{plugin} {method}={result}";
        if (plugin is not null) return $"{plugin} {Value(other)}".TrimEnd();
        return Value(other);
    }

    private static string Value(string? tags)
    {
        if (tags is null) return "";
        // A single tag shows as its value only ("verdict=accept" → "accept").
        return tags.Contains(' ') ? tags : tags[(tags.IndexOf('=') + 1)..];
    }

    private static string StatusOf(string tags)
    {
        var at = tags.IndexOf("status=", StringComparison.Ordinal);
        return at < 0 ? tags : tags[(at + "status=".Length)..].Split(' ')[0];
    }

    private sealed class Distribution
    {
        private long count;
        private double sum;
        private double max;

        public void Add(double value)
        {
            lock (this)
            {
                count++;
                sum += value;
                if (value > max) max = value;
            }
        }

        public (long Count, double Average, double Max) Snapshot()
        {
            lock (this) return (count, count == 0 ? 0 : sum / count, max);
        }
    }
}
