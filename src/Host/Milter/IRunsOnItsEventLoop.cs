namespace Milters.Host.Milter;

/// <summary>
/// A connection whose conversation runs on the event loop that accepted it (Listen:EventLoops). Its end of message is
/// worked on there too: the loop is that connection's core, and a hand-off to the thread pool would only add a thread
/// wake-up per message while the loop waits for nothing else of it.
/// </summary>
public interface IRunsOnItsEventLoop
{
    /// <summary>True on a loop's thread once the conversation there has had its turn (its next read waits in line).</summary>
    bool TurnIsOver { get; }

    /// <summary>Continues on the connection's loop after the connections ready now have had their turn.</summary>
    ValueTask YieldTurnAsync();
}
