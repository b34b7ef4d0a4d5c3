using System.Diagnostics;

namespace Milters.LoadGen.Run;

/// <summary>
/// Releases open-loop messages at their due times from one dedicated thread, and runs each released worker's
/// continuation on that thread until its first socket wait.
/// </summary>
/// <remarks>
/// Task.Delay per message cost the generator more than the filter it measured: a timer-thread wake-up, a
/// thread-pool hand-off and the pool's spinning for every message (perf sched at 1,750 msg/s: 0.48 ms of
/// generator CPU per message, ~30 context switches). On two shared cores that is noise in the filter's tail
/// latency. Here the only thread that wakes for pacing is this one, once per millisecond tick at most; the
/// sends themselves continue on the socket threads (inline completions).
/// </remarks>
internal sealed class Pacer : IDisposable
{
    private readonly PriorityQueue<TaskCompletionSource, long> _waiting = new();
    private readonly object _gate = new();
    private readonly AutoResetEvent _changed = new(false);
    private readonly Thread _thread;
    private volatile bool _stopped;

    public Pacer()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "pacer" };
        _thread.Start();
    }

    /// <summary>Completes at <paramref name="dueTimestamp"/> (Stopwatch ticks), on the pacer's thread.</summary>
    public Task WaitUntilAsync(long dueTimestamp)
    {
        if (Stopwatch.GetTimestamp() >= dueTimestamp) return Task.CompletedTask;
        // Continuations run synchronously on the pacer thread: no pool hand-off per message.
        var tcs = new TaskCompletionSource();
        bool earliest;
        lock (_gate)
        {
            earliest = !_waiting.TryPeek(out _, out long first) || dueTimestamp < first;
            _waiting.Enqueue(tcs, dueTimestamp);
        }
        if (earliest) _changed.Set();
        return tcs.Task;
    }

    private void Run()
    {
        var due = new List<TaskCompletionSource>();
        while (!_stopped)
        {
            long now = Stopwatch.GetTimestamp();
            long next = long.MaxValue;
            lock (_gate)
            {
                while (_waiting.TryPeek(out var tcs, out long at))
                {
                    if (at > now) { next = at; break; }
                    _waiting.Dequeue();
                    due.Add(tcs);
                }
            }
            foreach (var tcs in due) tcs.SetResult();
            due.Clear();
            if (next == long.MaxValue) _changed.WaitOne();
            else
            {
                // Millisecond sleeps, as Task.Delay had; a sub-millisecond gap is released on the next tick.
                int ms = (int)Math.Ceiling(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next).TotalMilliseconds);
                if (ms > 0) _changed.WaitOne(ms);
            }
        }
        lock (_gate)
        {
            while (_waiting.TryDequeue(out var tcs, out _)) tcs.TrySetCanceled();
        }
        // _changed is left to its finalizer: Dispose may still be about to Set it.
    }

    /// <summary>Stops the thread without waiting for it: the last worker of a run may finish on it, inline.</summary>
    public void Dispose()
    {
        _stopped = true;
        _changed.Set();
    }
}
