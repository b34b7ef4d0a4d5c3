namespace Milters.Host.Hosting;

/// <summary>
/// A start-up failure the administrator must fix (bad socket spec, unreadable config, port in use, missing
/// key file …). Its message is the whole story in one line; Program prints it to stderr and exits non-zero,
/// without a stack trace.
/// </summary>
public sealed class StartupException : Exception
{
    public StartupException(string message) : base(message) { }

    public StartupException(string message, Exception inner) : base(message, inner) { }
}
