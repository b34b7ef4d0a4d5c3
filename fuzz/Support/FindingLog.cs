using Microsoft.Extensions.Logging;

namespace Milters.Fuzz;

/// <summary>
/// The host never lets an exception out of a connection: it logs it at Error ("internal error", "plugin
/// failed at …"). This logger keeps the first such line of a run so the session target can turn it into a
/// finding; lower levels are dropped.
/// </summary>
public sealed class FindingLog : ILoggerProvider, ILogger
{
    private string? first;

    public void Reset() => Interlocked.Exchange(ref first, null);

    /// <summary>Throws when anything was logged at Error or above since <see cref="Reset"/>.</summary>
    public void ThrowIfAny()
    {
        if (first is { } line) throw new FuzzFindingException(line);
    }

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel < LogLevel.Error) return;
        Interlocked.CompareExchange(ref first, $"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}", null);
    }

    public void Dispose() { }
}

public sealed class FuzzFindingException(string message) : Exception(message);
