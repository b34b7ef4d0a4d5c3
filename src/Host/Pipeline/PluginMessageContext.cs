using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>
/// What one plugin sees of the shared <see cref="MessageContext"/>: everything, except that results it adds
/// carry its name — also when added later from a task it started. A plugin that overran its deadline keeps
/// running on its own; its view is then <see cref="Detach">detached</see>, so what it writes afterwards lands in a
/// context nobody reads instead of in the connection's next message — also through <see cref="Edits"/> and
/// <see cref="Items"/> objects it took before the deadline, which forward to the view, not to the shared context.
/// </summary>
internal sealed class PluginMessageContext : IMessageContext
{
    private readonly string pluginName;
    private MessageContext target;

    /// <summary>
    /// Held by every write and by <see cref="Detach"/>: once detached, no write of the plugin's is still under way in
    /// the shared context (an abandoned plugin's thread could otherwise be inside a list operation there while the
    /// chain, gone on without it, enumerates that list). Uncontended but for that moment; reads are not held.
    /// </summary>
    private readonly Lock writing = new();
    private readonly ForwardingEdits edits;
    private ForwardingItems? items;

    public PluginMessageContext(MessageContext shared, string pluginName)
    {
        target = shared;
        this.pluginName = pluginName;
        edits = new ForwardingEdits(this);
    }

    private MessageContext Target => Volatile.Read(ref target);

    public ConnectionInfo Connection => Target.Connection;
    public string? Helo => Target.Helo;
    public Envelope Envelope => Target.Envelope;
    public IMacros Macros => Target.Macros;
    public string QueueId => Target.QueueId;
    public IReadOnlyList<HeaderField> Headers => Target.Headers;
    public IReadOnlyList<AuthenticationResult> Results => Target.Results;
    public IReadOnlyList<string> FailedPlugins => Target.FailedPlugins;
    public IMessageEdits Edits => edits;
    public IDictionary<string, object> Items => items ??= new ForwardingItems(this);
    public CancellationToken MessageAborted => Target.MessageAborted;

    public void AddResult(AuthenticationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var named = result with { Plugin = pluginName };
        lock (writing) Target.AddResult(named);
    }

    /// <summary>
    /// From now on reads see an empty, aborted message (but for its queue id, so the plugin's own late log lines
    /// still name it) and writes go nowhere.
    /// </summary>
    public void Detach()
    {
        var nowhere = new MessageContext();
        if (Target.Macros.Get("i") is { } queueId) nowhere.Macros.Set(MacroStage.MailFrom, [new("i", queueId)]);
        _ = nowhere.MessageAborted;
        nowhere.CancelMessage();
        lock (writing) Volatile.Write(ref target, nowhere);
    }

    private sealed class ForwardingEdits(PluginMessageContext view) : IMessageEdits
    {
        private MessageEdits To => view.Target.Edits;
        public void AddHeader(string name, string value) { lock (view.writing) To.AddHeader(name, value); }
        public void InsertHeader(int index, string name, string value) { lock (view.writing) To.InsertHeader(index, name, value); }
        public void ChangeHeader(string name, int occurrence, string? value) { lock (view.writing) To.ChangeHeader(name, occurrence, value); }
        public void AddRecipient(string recipient, string? esmtpArguments = null) { lock (view.writing) To.AddRecipient(recipient, esmtpArguments); }
        public void DeleteRecipient(string recipient) { lock (view.writing) To.DeleteRecipient(recipient); }
        public void ChangeFrom(string sender, string? esmtpArguments = null) { lock (view.writing) To.ChangeFrom(sender, esmtpArguments); }
        public void ReplaceBody(ReadOnlyMemory<byte> body) { lock (view.writing) To.ReplaceBody(body); }
        public void Quarantine(string reason) { lock (view.writing) To.Quarantine(reason); }
        public IReadOnlyList<MessageEdit> Queued => To.Queued;
    }

    private sealed class ForwardingItems(PluginMessageContext view) : IDictionary<string, object>
    {
        private IDictionary<string, object> To => view.Target.Items;
        public object this[string key] { get => To[key]; set { lock (view.writing) To[key] = value; } }
        public ICollection<string> Keys => To.Keys;
        public ICollection<object> Values => To.Values;
        public int Count => To.Count;
        public bool IsReadOnly => To.IsReadOnly;
        public void Add(string key, object value) { lock (view.writing) To.Add(key, value); }
        public void Add(KeyValuePair<string, object> item) { lock (view.writing) To.Add(item); }
        public void Clear() { lock (view.writing) To.Clear(); }
        public bool Contains(KeyValuePair<string, object> item) => To.Contains(item);
        public bool ContainsKey(string key) => To.ContainsKey(key);
        public void CopyTo(KeyValuePair<string, object>[] array, int arrayIndex) => To.CopyTo(array, arrayIndex);
        public IEnumerator<KeyValuePair<string, object>> GetEnumerator() => To.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        public bool Remove(string key) { lock (view.writing) return To.Remove(key); }
        public bool Remove(KeyValuePair<string, object> item) { lock (view.writing) return To.Remove(item); }
        public bool TryGetValue(string key, [MaybeNullWhen(false)] out object value) => To.TryGetValue(key, out value);
    }
}
