using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Milters.LoadGen.Client;
using Milters.LoadGen.Messages;
using Milters.LoadGen.Protocol;

namespace Milters.LoadGen.Run;

/// <summary>
/// Runs N workers, each an MTA-side connection loop, until the message count or the time bound is
/// reached; prints a progress line once a second.
/// </summary>
internal sealed class LoadRunner(LoadOptions options, MessageFactory factory, TrafficProfile profile)
{
    private string? _negotiated;

    public async Task<RunResult> RunAsync(int connections, CancellationToken cancel)
    {
        int warmup = options.Warmup ?? connections * 4;
        if (warmup > 0)
            await RunPhaseAsync(connections, warmup, 1L << 40, options.Duration, new Recorder(), progress: false, cancel).ConfigureAwait(false);

        var recorder = new Recorder();
        var started = DateTimeOffset.UtcNow;
        double seconds = await RunPhaseAsync(connections, options.Count, 0, options.Duration, recorder, !options.Quiet, cancel).ConfigureAwait(false);
        var (eom, total, counts, samples, bytes) = recorder.Snapshot();
        long ok = counts.GetValueOrDefault(nameof(OutcomeKind.Ok));
        return new RunResult
        {
            Label = options.Label,
            Note = options.Note,
            Socket = options.Socket.Text,
            Transport = options.Socket.Transport,
            Traffic = options.Traffic.ToString().ToLowerInvariant(),
            Sizes = factory.Sizes.ToString(),
            Connections = connections,
            Rate = options.Rate > 0 ? options.Rate : null,
            PerConnection = options.PerConnection,
            Requested = options.Count,
            Completed = recorder.Completed,
            Ok = ok,
            Errors = recorder.Errors,
            Outcomes = counts,
            ErrorSamples = samples,
            Seconds = Math.Round(seconds, 3),
            MessagesPerSecond = Math.Round(recorder.Completed / seconds, 1),
            OkPerSecond = Math.Round(ok / seconds, 1),
            MegabytesPerSecond = Math.Round(bytes / seconds / (1024 * 1024), 2),
            EomLatencyMs = LatencySummary.From(eom),
            MessageLatencyMs = LatencySummary.From(total),
            ExpectHeader = options.Client.ExpectHeader,
            Negotiated = _negotiated,
            StartedUtc = started,
            ProcessorCount = Environment.ProcessorCount,
            LoadAverage = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null,
            CommandLine = options.CommandLine,
        };
    }

    /// <summary>Returns the elapsed seconds from the first send to the last completion.</summary>
    private async Task<double> RunPhaseAsync(int connections, long count, long indexBase, TimeSpan duration,
        Recorder recorder, bool progress, CancellationToken cancel)
    {
        long next = -1;
        long startTicks = Stopwatch.GetTimestamp();
        long deadline = startTicks + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        using var stopProgress = new CancellationTokenSource();
        using var pacer = options.Rate > 0 ? new Pacer() : null;
        var progressTask = progress ? ProgressAsync(recorder, connections, startTicks, stopProgress.Token) : Task.CompletedTask;

        async Task Worker()
        {
            MilterConnection? connection = null;
            int onConnection = 0;
            try
            {
                while (!cancel.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline)
                {
                    long i = Interlocked.Increment(ref next);
                    if (i >= count) break;
                    if (pacer is not null)
                    {
                        // Open loop: message i is due at start + i/rate, whether or not earlier replies came back.
                        await pacer.WaitUntilAsync(startTicks + (long)(i / options.Rate * Stopwatch.Frequency)).ConfigureAwait(false);
                        if (cancel.IsCancellationRequested) break;
                    }
                    var message = factory.Create(indexBase + i);
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                    timeout.CancelAfter(options.Timeout);
                    long begin = Stopwatch.GetTimestamp();
                    try
                    {
                        if (connection is null)
                        {
                            connection = await MilterConnection.OpenAsync(options.Socket, options.Client, profile, timeout.Token).ConfigureAwait(false);
                            _negotiated ??= Describe(connection.Negotiated);
                            onConnection = 0;
                        }
                        if (!connection.Usable)
                        {
                            recorder.AddFailure(OutcomeKind.Rejected, connection.ConnectionVerdict ?? "connection refused by filter");
                            await connection.DisposeAsync().ConfigureAwait(false);
                            connection = null;
                            continue;
                        }
                        var outcome = await connection.SendMessageAsync(message, timeout.Token).ConfigureAwait(false);
                        if (options.DumpDir is not null && i < options.DumpCount && indexBase == 0)
                            MessageDump.Write(options.DumpDir, message, outcome.AddedHeaders);
                        // In connection-per-message mode the connect and negotiation belong to the message's time.
                        recorder.Add(outcome with { TotalTicks = Stopwatch.GetTimestamp() - begin }, message.TotalBytes);
                        if (options.PerConnection > 0 && ++onConnection >= options.PerConnection)
                        {
                            await connection.DisposeAsync().ConfigureAwait(false);
                            connection = null;
                        }
                    }
                    catch (Exception e) when (e is MilterProtocolException or SocketException or IOException or OperationCanceledException)
                    {
                        if (e is OperationCanceledException && cancel.IsCancellationRequested) break;
                        var kind = e switch
                        {
                            OperationCanceledException => OutcomeKind.Timeout,
                            MilterProtocolException => OutcomeKind.ProtocolError,
                            _ => OutcomeKind.IoError,
                        };
                        recorder.AddFailure(kind, e.Message);
                        if (connection is not null)
                        {
                            connection.Abandon();
                            await connection.DisposeAsync().ConfigureAwait(false);
                            connection = null;
                        }
                    }
                }
            }
            finally
            {
                if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        var workers = Enumerable.Range(0, connections).Select(_ => Task.Run(Worker, cancel)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        double seconds = Stopwatch.GetElapsedTime(startTicks).TotalSeconds;
        stopProgress.Cancel();
        await progressTask.ConfigureAwait(false);
        return seconds;
    }

    private static async Task ProgressAsync(Recorder recorder, int connections, long startTicks, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long last = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                long done = recorder.Completed;
                var window = LatencySummary.From(recorder.DrainWindow());
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{Stopwatch.GetElapsedTime(startTicks).TotalSeconds,5:F0}s] c={connections} done {done} ({done - last}/s)  eom p50 {window.P50:F2} ms p99 {window.P99:F2} ms max {window.Max:F2} ms  errors {recorder.Errors}"));
                last = done;
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    private static string Describe(Negotiated n) => string.Create(CultureInfo.InvariantCulture,
        $"v{n.Version} actions=0x{n.Actions:x} protocol=0x{(uint)n.Protocol:x} ({n.Protocol})");
}
