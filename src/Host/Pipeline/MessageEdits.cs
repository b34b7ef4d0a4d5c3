using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>
/// The queue of modifications for the current message. Input is checked here, where the plugin that made
/// the mistake is still on the stack (its on-error action applies), not at end of message.
/// </summary>
public sealed class MessageEdits : IMessageEdits
{
    private readonly List<MessageEdit> queued = new();

    public IReadOnlyList<MessageEdit> Queued => queued;

    public void AddHeader(string name, string value)
    {
        CheckHeader(name, value);
        queued.Add(new MessageEdit(MessageEditKind.AddHeader, name, value));
    }

    public void InsertHeader(int index, string name, string value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        CheckHeader(name, value);
        queued.Add(new MessageEdit(MessageEditKind.InsertHeader, name, value, index));
    }

    public void ChangeHeader(string name, int occurrence, string? value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(occurrence, 1);
        CheckHeader(name, value ?? string.Empty);
        queued.Add(new MessageEdit(MessageEditKind.ChangeHeader, name, value, occurrence));
    }

    public void AddRecipient(string recipient, string? esmtpArguments = null)
    {
        CheckAddress(recipient);
        queued.Add(new MessageEdit(MessageEditKind.AddRecipient, recipient, Arguments: esmtpArguments));
    }

    public void DeleteRecipient(string recipient)
    {
        CheckAddress(recipient);
        queued.Add(new MessageEdit(MessageEditKind.DeleteRecipient, recipient));
    }

    public void ChangeFrom(string sender, string? esmtpArguments = null)
    {
        ArgumentNullException.ThrowIfNull(sender);
        queued.Add(new MessageEdit(MessageEditKind.ChangeFrom, sender, Arguments: esmtpArguments));
    }

    /// <summary>Copied: a plugin may pass a body chunk or pooled memory that is reused before the edit is sent.</summary>
    public void ReplaceBody(ReadOnlyMemory<byte> body) =>
        queued.Add(new MessageEdit(MessageEditKind.ReplaceBody, Body: body.ToArray()));

    public void Quarantine(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        queued.Add(new MessageEdit(MessageEditKind.Quarantine, Value: reason));
    }

    public void Clear() => queued.Clear();

    /// <summary>RFC 5322 §2.2: field names are printable US-ASCII except ':'; values may break lines only to fold.</summary>
    private static void CheckHeader(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(value);
        foreach (char c in name)
            if (c is < '!' or > '~' or ':')
                throw new ArgumentException($"invalid character 0x{(int)c:x2} in header name \"{name}\"", nameof(name));
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '\0') throw new ArgumentException($"NUL in the value of header {name}", nameof(value));
            if (c is '\r' or '\n')
            {
                int next = c == '\r' && i + 1 < value.Length && value[i + 1] == '\n' ? i + 2 : i + 1;
                if (next >= value.Length || value[next] is not (' ' or '\t'))
                    throw new ArgumentException($"line break in the value of header {name} is not folding white space", nameof(value));
                i = next - 1;
            }
        }
    }

    private static void CheckAddress(string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        if (address.AsSpan().IndexOfAny('\0', '\r', '\n') >= 0)
            throw new ArgumentException("control character in an address", nameof(address));
    }
}
