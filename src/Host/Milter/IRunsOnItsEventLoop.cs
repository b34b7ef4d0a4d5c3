namespace Milters.Host.Milter;

/// <summary>
/// A connection whose conversation runs on the event loop that accepted it (Listen:EventLoops). Its end of message is
/// worked on there too: the loop is that connection's core, and a hand-off to the thread pool would only add a thread
/// wake-up per message while the loop waits for nothing else of it.
/// </summary>
public interface IRunsOnItsEventLoop;
