using System.Text.Json;
using Milters.LoadGen.Cli;
using Milters.LoadGen.Run;
using ScottPlot;

namespace Milters.LoadGen.Chart;

/// <summary>
/// <c>chart --out FILE.png [--title T] [--traffic sign] [--sizes 4k] RESULTS.jsonl...</c>: two panels,
/// messages/s and p99 end-of-message latency against concurrency, one line per filter and transport.
/// </summary>
internal static class ChartCommand
{
    public static int Execute(string[] args)
    {
        var a = new ArgReader(args, new HashSet<string>());
        string output = a.Require("out");
        string title = a.Get("title") ?? "messages/s (higher is better)";
        string? traffic = a.Get("traffic");
        string? sizes = a.Get("sizes");
        int width = int.Parse(a.Get("width") ?? "1400");
        int height = int.Parse(a.Get("height") ?? "560");
        string latencyTitle = a.Get("latency-title") ?? "p99 end-of-message latency (lower is better)";
        a.RejectUnknown();
        if (a.Positional.Count == 0) throw new ArgumentException("chart needs at least one results file (JSON lines from --json)");

        var results = a.Positional.SelectMany(File.ReadLines)
            .Where(l => l.TrimStart().StartsWith('{'))
            .Select(l => JsonSerializer.Deserialize<RunResult>(l, RunCommand.Json)!)
            .Where(r => traffic is null || r.Traffic == traffic)
            .Where(r => sizes is null || r.Sizes.StartsWith(sizes, StringComparison.Ordinal))
            .ToList();
        if (results.Count == 0) throw new ArgumentException("no results left to plot");

        // The last measurement of a (filter, transport, concurrency) wins: re-runs replace old points.
        var series = results
            .GroupBy(r => $"{r.Label} ({r.Transport})")
            .Select(g => (Name: g.Key, Points: g.GroupBy(r => r.Connections).Select(c => c.Last()).OrderBy(r => r.Connections).ToList()))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();

        var concurrencies = results.Select(r => r.Connections).Distinct().Order().ToArray();
        var throughput = Panel(title, "messages per second (log)", concurrencies);
        var latency = Panel(latencyTitle, "p99 latency, ms (log)", concurrencies);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var (name, points) = series[i];
            double[] xs = points.Select(p => Math.Log2(p.Connections)).ToArray();
            var color = palette.GetColor(i);
            var pattern = name.EndsWith("(unix)", StringComparison.Ordinal) ? LinePattern.Dashed : LinePattern.Solid;
            Line(throughput, xs, points.Select(p => Math.Log10(Math.Max(p.OkPerSecond, 0.1))).ToArray(), name, color, pattern);
            Line(latency, xs, points.Select(p => Math.Log10(Math.Max(p.EomLatencyMs.P99, 0.01))).ToArray(), name, color, pattern);
        }
        LogTicks(throughput, results.Select(r => Math.Max(r.OkPerSecond, 0.1)), unit: "");
        LogTicks(latency, results.Select(r => Math.Max(r.EomLatencyMs.P99, 0.01)), unit: " ms");
        throughput.ShowLegend(Alignment.LowerRight);
        latency.ShowLegend(Alignment.UpperLeft);

        var multiplot = new Multiplot(throughput);
        multiplot.AddPlot(latency);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multiplot.SavePng(output, width, height);
        Console.WriteLine($"wrote {output}: {series.Count} series, {results.Count} runs");
        return 0;
    }

    private static Plot Panel(string title, string yLabel, int[] concurrencies)
    {
        var plot = new Plot();
        plot.Title(title, size: 14);
        plot.XLabel("concurrent milter connections (log scale)");
        plot.YLabel(yLabel);
        plot.Axes.Bottom.SetTicks(concurrencies.Select(c => Math.Log2(c)).ToArray(), concurrencies.Select(c => c.ToString()).ToArray());
        double lo = Math.Log2(concurrencies.Min()), hi = Math.Log2(concurrencies.Max());
        plot.Axes.SetLimitsX(lo - 0.3, hi + 0.3);
        return plot;
    }

    private static void Line(Plot plot, double[] xs, double[] ys, string name, Color color, LinePattern pattern)
    {
        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = name;
        scatter.Color = color;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 7;
        scatter.LinePattern = pattern;
    }

    // Log axes drawn by hand: data is plotted as log10(value), ticks at 1-2-5 steps carry real values.
    private static void LogTicks(Plot plot, IEnumerable<double> values, string unit)
    {
        var list = values.ToList();
        double min = list.Min(), max = list.Max();
        int lo = (int)Math.Floor(Math.Log10(min)), hi = (int)Math.Ceiling(Math.Log10(max));
        var positions = new List<double>();
        var labels = new List<string>();
        for (int e = lo; e <= hi; e++)
            foreach (int m in new[] { 1, 2, 5 })
            {
                double v = m * Math.Pow(10, e);
                if (v < min / 2.5 || v > max * 2.5) continue;
                positions.Add(Math.Log10(v));
                labels.Add(v >= 1 ? v.ToString("#,0") + unit : v.ToString("0.##") + unit);
            }
        plot.Axes.Left.SetTicks([.. positions], [.. labels]);
        plot.Axes.SetLimitsY(Math.Log10(min) - 0.15, Math.Log10(max) + 0.15);
    }
}
