using System.Net;
using Milters.Abstractions;

namespace Milters.DomainKeys.Tests.Support;

/// <summary>A message context for driving the filter directly (the host's own one is tested by the host).</summary>
internal sealed class TestContext : IMessageContext
{
    public ConnectionInfo Connection { get; set; } = new("client.example.net", ClientFamily.Inet, IPAddress.Parse("192.0.2.10"), 40000, null);
    public string? Helo { get; set; } = "client.example.net";
    public Envelope Envelope { get; } = new();
    public TestMacros MacroValues { get; } = new();
    public IMacros Macros => MacroValues;
    public string QueueId => "TESTQ1";
    public List<HeaderField> HeaderList { get; } = new();
    public IReadOnlyList<HeaderField> Headers => HeaderList;
    public List<AuthenticationResult> ResultList { get; } = new();
    public IReadOnlyList<AuthenticationResult> Results => ResultList;
    public void AddResult(AuthenticationResult result) => ResultList.Add(result);
    public IReadOnlyList<string> FailedPlugins => Array.Empty<string>();
    public TestEdits EditList { get; } = new();
    public IMessageEdits Edits => EditList;
    public IDictionary<string, object> Items { get; } = new Dictionary<string, object>();
    public CancellationToken MessageAborted => CancellationToken.None;

    public static TestContext Internal() => new() { Connection = new ConnectionInfo("localhost", ClientFamily.Inet, IPAddress.Loopback, 40000, null) };

    /// <summary>Runs one message through the filter the way the host does; returns the end-of-message verdict.</summary>
    public async Task<Verdict> RunAsync(MessageFilter filter, TestMessage message, int chunkSize = 65536)
    {
        HeaderList.Clear();
        ResultList.Clear();
        EditList.QueuedList.Clear();
        await filter.ConnectAsync(this);
        Envelope.MailFrom = "sender@example.com";
        await filter.MailFromAsync(this);
        foreach (var h in message.Headers)
        {
            HeaderList.Add(h);
            await filter.HeaderAsync(this, h);
        }
        await filter.EndOfHeadersAsync(this);
        for (var i = 0; i < message.Body.Length; i += chunkSize)
        {
            var chunk = message.Body.AsMemory(i, Math.Min(chunkSize, message.Body.Length - i)).ToArray(); // a copy: only valid during the call
            var verdict = await filter.BodyChunkAsync(this, chunk);
            Array.Clear(chunk);
            if (verdict.Kind == VerdictKind.Skip) break;
        }
        return await filter.EndOfMessageAsync(this);
    }

    /// <summary>Applies the queued header inserts the way an MTA would: the message as delivered.</summary>
    public TestMessage Delivered(TestMessage original)
    {
        var headers = new List<HeaderField>(original.Headers);
        foreach (var e in EditList.Queued)
        {
            if (e.Kind == MessageEditKind.InsertHeader) headers.Insert(Math.Min(e.Index, headers.Count), new HeaderField(e.Name!, System.Text.Encoding.UTF8.GetBytes(e.Value!)));
            else if (e.Kind == MessageEditKind.AddHeader) headers.Add(new HeaderField(e.Name!, System.Text.Encoding.UTF8.GetBytes(e.Value!)));
        }
        return new TestMessage(headers, original.Body);
    }
}

internal sealed class TestMacros : IMacros
{
    public Dictionary<string, string> Values { get; } = new();
    public string? Get(string name) => Values.GetValueOrDefault(name.Trim('{', '}'));
    public string? Get(MacroStage stage, string name) => Get(name);
}

internal sealed class TestEdits : IMessageEdits
{
    public List<MessageEdit> QueuedList { get; } = new();
    public IReadOnlyList<MessageEdit> Queued => QueuedList;
    public void AddHeader(string name, string value) => QueuedList.Add(new(MessageEditKind.AddHeader, name, value));
    public void InsertHeader(int index, string name, string value) => QueuedList.Add(new(MessageEditKind.InsertHeader, name, value, index));
    public void ChangeHeader(string name, int occurrence, string? value) => QueuedList.Add(new(MessageEditKind.ChangeHeader, name, value, occurrence));
    public void AddRecipient(string recipient, string? esmtpArguments = null) => QueuedList.Add(new(MessageEditKind.AddRecipient, recipient, Arguments: esmtpArguments));
    public void DeleteRecipient(string recipient) => QueuedList.Add(new(MessageEditKind.DeleteRecipient, recipient));
    public void ChangeFrom(string sender, string? esmtpArguments = null) => QueuedList.Add(new(MessageEditKind.ChangeFrom, sender, Arguments: esmtpArguments));
    public void ReplaceBody(ReadOnlyMemory<byte> body) => QueuedList.Add(new(MessageEditKind.ReplaceBody, Body: body));
    public void Quarantine(string reason) => QueuedList.Add(new(MessageEditKind.Quarantine, Value: reason));
}
