using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Milters.Host.Tests.Hosting;

/// <summary>Collects formatted log lines so tests can assert what an administrator would read.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public ILogger<T> CreateLogger<T>() => new LoggerFactory([this]).CreateLogger<T>();

    public bool Contains(LogLevel level, string text) => Lines.Any(l => l.Level == level && l.Message.Contains(text, StringComparison.Ordinal));

    public override string ToString() => string.Join("\n", Lines.Select(l => $"{l.Level}: {l.Message}"));

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((logLevel, formatter(state, exception)));
    }
}
