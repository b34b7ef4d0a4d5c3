using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>
/// What one plugin sees of the shared <see cref="MessageContext"/>: everything, except that results it adds
/// carry its name — also when added later from a task it started.
/// </summary>
internal sealed class PluginMessageContext(MessageContext shared, string pluginName) : IMessageContext
{
    public ConnectionInfo Connection => shared.Connection;
    public string? Helo => shared.Helo;
    public Envelope Envelope => shared.Envelope;
    public IMacros Macros => shared.Macros;
    public string QueueId => shared.QueueId;
    public IReadOnlyList<HeaderField> Headers => shared.Headers;
    public IReadOnlyList<AuthenticationResult> Results => shared.Results;
    public IReadOnlyList<string> FailedPlugins => shared.FailedPlugins;
    public IMessageEdits Edits => shared.Edits;
    public IDictionary<string, object> Items => shared.Items;
    public CancellationToken MessageAborted => shared.MessageAborted;

    public void AddResult(AuthenticationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        shared.AddResult(result with { Plugin = pluginName });
    }
}
