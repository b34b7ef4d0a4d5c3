using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Milters.Host.Tests.Milter;

/// <summary>Keeps every log line (level, category, formatted message) for assertions.</summary>
public sealed class LogCapture : ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Lines { get; } = new();

    public IEnumerable<string> AtLeast(LogLevel level) => Lines.Where(l => l.Level >= level).Select(l => l.Message);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue((logLevel, category, formatter(state, exception)));
    }
}
