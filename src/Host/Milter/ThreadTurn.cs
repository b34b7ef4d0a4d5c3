using System.Diagnostics;
using Milters.Host.Hosting.EventLoops;

namespace Milters.Host.Milter;

/// <summary>
/// How long a conversation on .NET's sockets (Listen:EventLoops 0) has kept the thread it runs on without a read that
/// waited. A new connection's conversation starts on the accept loop's thread, and a read completes on a socket thread
/// shared by many connections (Listen:InlineCompletions): an MTA that writes whole messages ahead never lets a read
/// wait, so without turns such a conversation kept that thread for as long as it wrote — a second connection was not
/// even accepted (an independent review: 20–60 s; reproduced: no reply to its negotiation within 120 s). After the
/// same budget as an event loop's turn the conversation goes to the back of the thread pool's queue.
/// </summary>
internal struct ThreadTurn
{
    private long started;

    public static ThreadTurn StartNow() => new() { started = Stopwatch.GetTimestamp() };

    /// <summary>The thread was given back (a read waited): a new turn begins.</summary>
    public void Restart() => started = Stopwatch.GetTimestamp();

    public readonly bool IsOver => Stopwatch.GetTimestamp() - started > EventLoop.TurnBudget;
}
