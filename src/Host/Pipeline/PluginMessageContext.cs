using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>
/// What one plugin sees of the shared <see cref="MessageContext"/>: everything, except that results it adds
/// carry its name — also when added later from a task it started. A plugin that overran its deadline keeps
/// running on its own; its view is then <see cref="Detach">detached</see>, so what it writes afterwards lands in a
/// context nobody reads instead of in the connection's next message.
/// </summary>
internal sealed class PluginMessageContext(MessageContext shared, string pluginName) : IMessageContext
{
    private MessageContext target = shared;

    private MessageContext Target => Volatile.Read(ref target);

    public ConnectionInfo Connection => Target.Connection;
    public string? Helo => Target.Helo;
    public Envelope Envelope => Target.Envelope;
    public IMacros Macros => Target.Macros;
    public string QueueId => Target.QueueId;
    public IReadOnlyList<HeaderField> Headers => Target.Headers;
    public IReadOnlyList<AuthenticationResult> Results => Target.Results;
    public IReadOnlyList<string> FailedPlugins => Target.FailedPlugins;
    public IMessageEdits Edits => Target.Edits;
    public IDictionary<string, object> Items => Target.Items;
    public CancellationToken MessageAborted => Target.MessageAborted;

    public void AddResult(AuthenticationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Target.AddResult(result with { Plugin = pluginName });
    }

    /// <summary>From now on reads see an empty, aborted message and writes go nowhere.</summary>
    public void Detach()
    {
        var nowhere = new MessageContext();
        _ = nowhere.MessageAborted;
        nowhere.CancelMessage();
        Volatile.Write(ref target, nowhere);
    }
}
