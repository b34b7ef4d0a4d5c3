using System.Net;
using System.Text;
using Milters.Abstractions;

namespace Milters.AuthResults.Tests;

/// <summary>An in-memory message context: headers as they arrived, results, failed plugins, queued edits.</summary>
internal sealed class FakeMessageContext : IMessageContext
{
    private readonly List<HeaderField> headers = new();
    private readonly List<AuthenticationResult> results = new();

    public ConnectionInfo Connection { get; set; } = new("mail.example.net", ClientFamily.Inet, IPAddress.Parse("192.0.2.10"), 40000, null);
    public string? Helo { get; set; } = "mail.example.net";
    public Envelope Envelope { get; } = new();
    public FakeMacros MacroValues { get; } = new();
    public IMacros Macros => MacroValues;
    public string QueueId => "TESTQ1";
    public IReadOnlyList<HeaderField> Headers => headers;
    public IReadOnlyList<AuthenticationResult> Results => results;
    public void AddResult(AuthenticationResult result) => results.Add(result);
    public List<string> Failed { get; } = new();
    public IReadOnlyList<string> FailedPlugins => Failed;
    public FakeEdits QueuedEdits { get; } = new();
    public IMessageEdits Edits => QueuedEdits;
    public IDictionary<string, object> Items { get; } = new Dictionary<string, object>();
    public CancellationToken MessageAborted => CancellationToken.None;

    /// <summary>Adds a header the way the host does: value with its leading space, folded lines with CRLF.</summary>
    public FakeMessageContext Header(string name, string value)
    {
        headers.Add(new HeaderField(name, Encoding.UTF8.GetBytes(value)));
        return this;
    }

    public FakeMessageContext Result(string plugin, AuthenticationResult r)
    {
        results.Add(r with { Plugin = plugin });
        return this;
    }
}

internal sealed class FakeMacros : IMacros
{
    public Dictionary<string, string> Values { get; } = new();
    public string? Get(string name) => Values.TryGetValue(name.Trim('{', '}'), out var v) ? v : null;
    public string? Get(MacroStage stage, string name) => Get(name);
}

internal sealed class FakeEdits : IMessageEdits
{
    private readonly List<MessageEdit> queued = new();
    public IReadOnlyList<MessageEdit> Queued => queued;
    public void AddHeader(string name, string value) => queued.Add(new MessageEdit(MessageEditKind.AddHeader, name, value));
    public void InsertHeader(int index, string name, string value) => queued.Add(new MessageEdit(MessageEditKind.InsertHeader, name, value, index));
    public void ChangeHeader(string name, int occurrence, string? value) => queued.Add(new MessageEdit(MessageEditKind.ChangeHeader, name, value, occurrence));
    public void AddRecipient(string recipient, string? esmtpArguments = null) => queued.Add(new MessageEdit(MessageEditKind.AddRecipient, recipient, Arguments: esmtpArguments));
    public void DeleteRecipient(string recipient) => queued.Add(new MessageEdit(MessageEditKind.DeleteRecipient, recipient));
    public void ChangeFrom(string sender, string? esmtpArguments = null) => queued.Add(new MessageEdit(MessageEditKind.ChangeFrom, sender, Arguments: esmtpArguments));
    public void ReplaceBody(ReadOnlyMemory<byte> body) => queued.Add(new MessageEdit(MessageEditKind.ReplaceBody, Body: body));
    public void Quarantine(string reason) => queued.Add(new MessageEdit(MessageEditKind.Quarantine, Value: reason));
}
