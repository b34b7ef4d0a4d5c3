using System.Collections.Concurrent;
using Milters.LoadGen.Client;

namespace Milters.LoadGen.Run;

/// <summary>Collects outcomes from all workers of one run; a window queue feeds the progress line.</summary>
internal sealed class Recorder
{
    private readonly object _gate = new();
    private readonly List<long> _eom = [];
    private readonly List<long> _total = [];
    private readonly Dictionary<OutcomeKind, long> _counts = [];
    private readonly Dictionary<OutcomeKind, string> _samples = [];
    private readonly ConcurrentQueue<long> _window = new();
    private long _completed;
    private long _bytes;

    public long Completed => Interlocked.Read(ref _completed);

    public long Errors { get; private set; }

    public void Add(MessageOutcome outcome, long messageBytes)
    {
        lock (_gate)
        {
            _counts[outcome.Kind] = _counts.GetValueOrDefault(outcome.Kind) + 1;
            if (outcome.IsOk)
            {
                _eom.Add(outcome.EomTicks);
                _total.Add(outcome.TotalTicks);
            }
            else
            {
                Errors++;
                _samples.TryAdd(outcome.Kind, outcome.Detail ?? outcome.Kind.ToString());
            }
            _bytes += messageBytes;
        }
        if (outcome.IsOk) _window.Enqueue(outcome.EomTicks);
        Interlocked.Increment(ref _completed);
    }

    public void AddFailure(OutcomeKind kind, string detail) =>
        Add(new MessageOutcome(kind, 0, 0, detail, []), 0);

    /// <summary>End-of-message latencies since the last call.</summary>
    public long[] DrainWindow()
    {
        var list = new List<long>();
        while (_window.TryDequeue(out long t)) list.Add(t);
        return [.. list];
    }

    public (long[] Eom, long[] Total, Dictionary<string, long> Counts, Dictionary<string, string> Samples, long Bytes) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _eom], [.. _total],
                _counts.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value),
                _samples.ToDictionary(kv => kv.Key.ToString(), kv => kv.Value), _bytes);
        }
    }
}
