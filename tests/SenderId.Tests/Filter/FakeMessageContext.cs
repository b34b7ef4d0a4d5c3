using System.Net;
using System.Text;
using Milters.Abstractions;

namespace Milters.SenderId.Tests.Filter;

/// <summary>A message context for driving <see cref="SenderIdFilter"/> directly (the milter protocol is covered by whole-message tests).</summary>
internal sealed class FakeMessageContext : IMessageContext, IMacros, IMessageEdits
{
    private readonly List<HeaderField> headers = new();
    private readonly List<AuthenticationResult> results = new();
    private readonly List<MessageEdit> edits = new();
    private readonly CancellationTokenSource aborted = new();

    public FakeMessageContext(string ip, string? helo = "mail.example.com", string host = "client.example.com")
    {
        var address = IPAddress.Parse(ip);
        Connection = new ConnectionInfo(host, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? ClientFamily.Inet6 : ClientFamily.Inet, address, 25000, null);
        Helo = helo;
    }

    public Dictionary<string, string> MacroValues { get; } = new();

    public ConnectionInfo Connection { get; }
    public string? Helo { get; }
    public Envelope Envelope { get; } = new();
    public IMacros Macros => this;
    public string QueueId => "TESTQ1";
    public IReadOnlyList<HeaderField> Headers => headers;
    public IReadOnlyList<AuthenticationResult> Results => results;
    public void AddResult(AuthenticationResult result) => results.Add(result);
    public IReadOnlyList<string> FailedPlugins => Array.Empty<string>();
    public IMessageEdits Edits => this;
    public IDictionary<string, object> Items { get; } = new Dictionary<string, object>();
    public CancellationToken MessageAborted => aborted.Token;

    public string? Get(string name) => MacroValues.GetValueOrDefault(name.Trim('{', '}'));
    public string? Get(MacroStage stage, string name) => Get(name);

    public void AddHeader(string name, string value) => edits.Add(new MessageEdit(MessageEditKind.AddHeader, name, value));
    public void InsertHeader(int index, string name, string value) => edits.Add(new MessageEdit(MessageEditKind.InsertHeader, name, value, index));
    public void ChangeHeader(string name, int occurrence, string? value) => edits.Add(new MessageEdit(MessageEditKind.ChangeHeader, name, value, occurrence));
    public void AddRecipient(string recipient, string? esmtpArguments = null) => edits.Add(new MessageEdit(MessageEditKind.AddRecipient, recipient, null, 0, esmtpArguments));
    public void DeleteRecipient(string recipient) => edits.Add(new MessageEdit(MessageEditKind.DeleteRecipient, recipient));
    public void ChangeFrom(string sender, string? esmtpArguments = null) => edits.Add(new MessageEdit(MessageEditKind.ChangeFrom, sender, null, 0, esmtpArguments));
    public void ReplaceBody(ReadOnlyMemory<byte> body) => edits.Add(new MessageEdit(MessageEditKind.ReplaceBody, Body: body));
    public void Quarantine(string reason) => edits.Add(new MessageEdit(MessageEditKind.Quarantine, null, reason));
    public IReadOnlyList<MessageEdit> Queued => edits;

    public void Header(string name, string value) => headers.Add(new HeaderField(name, Encoding.UTF8.GetBytes(" " + value)));

    public AuthenticationResult Result(string method) => Assert.Single(results, r => r.Method == method);
}
