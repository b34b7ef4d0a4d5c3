using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Milters.LoadGen.Client;
using Milters.LoadGen.Messages;

namespace Milters.LoadGen.Run;

/// <summary>The <c>run</c> sub-command: one run per concurrency value, summary to stdout, JSON lines to --json.</summary>
internal static class RunCommand
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<int> ExecuteAsync(string[] args)
    {
        var options = LoadOptions.Parse(args);
        if (options is null) { Console.WriteLine(LoadOptions.Usage); return 0; }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

        var factory = new MessageFactory(options.Sizes, options.Seed, options.Domain);
        if (options.PrimeHeader is { } primeHeader)
        {
            await SignaturePrimer.PrimeAsync(factory, options.PrimeSocket ?? options.Socket, primeHeader, options, cancel.Token).ConfigureAwait(false);
            Console.Error.WriteLine($"primed {options.Sizes.Classes.Count} signed message(s) with {primeHeader}");
        }
        var profile = new TrafficProfile(options.Traffic, options.ClientAddress, "mta." + options.Domain);
        var runner = new LoadRunner(options, factory, profile);

        int failures = 0;
        foreach (int connections in options.Connections)
        {
            var result = await runner.RunAsync(connections, cancel.Token).ConfigureAwait(false);
            PrintSummary(result);
            WriteJson(options.Json, result);
            if (result.Errors > 0) failures++;
            if (cancel.IsCancellationRequested) break;
        }
        return failures == 0 ? 0 : 2;
    }

    private static void PrintSummary(RunResult r)
    {
        string mode = r.PerConnection == 1 ? "conn/msg" : $"{r.PerConnection} msg/conn";
        Console.WriteLine((
            $"{r.Label} [{r.Transport}, {r.Traffic}, {r.Sizes}, c={r.Connections}{(r.Rate is { } rate ? $" at {rate:F0}/s" : "")}, {mode}]: " +
            $"{r.Completed} msgs in {r.Seconds:F2} s = {r.MessagesPerSecond:F1} msg/s ({r.MegabytesPerSecond:F2} MB/s); " +
            $"eom p50 {r.EomLatencyMs.P50:F2} p99 {r.EomLatencyMs.P99:F2} max {r.EomLatencyMs.Max:F2} ms; " +
            $"msg p50 {r.MessageLatencyMs.P50:F2} p99 {r.MessageLatencyMs.P99:F2} ms; errors {r.Errors}; load {r.LoadAverage}" +
            $"{(r.ExpectHeader is null ? "" : $" (expected {r.ExpectHeader} on every message)")}"));
        foreach (var (kind, sample) in r.ErrorSamples)
            Console.WriteLine($"  {kind} x{r.Outcomes.GetValueOrDefault(kind)}: {sample}");
    }

    private static void WriteJson(string? target, RunResult result)
    {
        if (target is null) return;
        string line = JsonSerializer.Serialize(result, Json);
        if (target == "-") Console.WriteLine(line);
        else File.AppendAllText(target, line + "\n");
    }
}
