using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>
/// The connection and its current message, shared by every plugin of one connection. Per-message state is
/// cleared in <see cref="ResetMessage"/> and nowhere else.
/// </summary>
public sealed class MessageContext : IMessageContext
{
    private readonly List<HeaderField> headers = new();
    private readonly List<AuthenticationResult> results = new();
    private readonly List<string> failedPlugins = new();
    private Dictionary<string, object>? items;
    private CancellationTokenSource? aborted;

    public ConnectionInfo Connection { get; set; } = ConnectionInfo.Unknown;

    public string? Helo { get; set; }

    public Envelope Envelope { get; } = new();

    public Macros Macros { get; } = new();

    IMacros IMessageContext.Macros => Macros;

    public string QueueId => Macros.Get("i") ?? "NOQUEUE";

    public IReadOnlyList<HeaderField> Headers => headers;

    public IReadOnlyList<AuthenticationResult> Results => results;

    public IReadOnlyList<string> FailedPlugins => failedPlugins;

    public MessageEdits Edits { get; } = new();

    IMessageEdits IMessageContext.Edits => Edits;

    public IDictionary<string, object> Items => items ??= new Dictionary<string, object>(StringComparer.Ordinal);

    public CancellationToken MessageAborted => (aborted ??= new CancellationTokenSource()).Token;

    public void AddResult(AuthenticationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        results.Add(result);
    }

    public void AddHeader(HeaderField header) => headers.Add(header);

    public void AddFailedPlugin(string name)
    {
        if (!failedPlugins.Contains(name)) failedPlugins.Add(name);
    }

    /// <summary>Signals <see cref="MessageAborted"/> (ABORT, lost connection, shutdown).</summary>
    /// <returns>
    /// What the plugins' callbacks on the token threw (every callback has run), for the caller to log; null when none
    /// did. Not thrown: a throwing callback must not cut short what the caller does next — waiting for the plugins
    /// before closing their session (an independent review saw it disposed under a running end of message).
    /// </returns>
    public AggregateException? CancelMessage()
    {
        try
        {
            aborted?.Cancel();
            return null;
        }
        catch (AggregateException failed)
        {
            return failed;
        }
    }

    /// <summary>What <see cref="CancelMessage"/> returned, for one log line: each callback's exception, type and message.</summary>
    public static string Describe(AggregateException callbackFailures) =>
        string.Join("; ", callbackFailures.InnerExceptions.Select(x => $"{x.GetType().Name}: {x.Message}"));

    /// <summary>The one place per-message state is cleared: after end of message, ABORT, or a message-ending verdict.</summary>
    public void ResetMessage()
    {
        Envelope.Clear();
        headers.Clear();
        results.Clear();
        failedPlugins.Clear();
        Edits.Clear();
        items?.Clear();
        Macros.ClearMessageStages();
        if (aborted is not null && !aborted.TryReset())
        {
            aborted.Dispose();
            aborted = null;
        }
    }

    /// <summary>SMFIC_QUIT_NC: a new SMTP client on the same milter connection.</summary>
    public void ResetConnection()
    {
        ResetMessage();
        Connection = ConnectionInfo.Unknown;
        Helo = null;
        Macros.Clear();
    }
}
