namespace Milters.Abstractions;

/// <summary>
/// Everything the host knows about the connection and the current message, plus the queue of
/// modifications to send at end of message. One instance per connection; the host resets the message
/// part (envelope sender and recipients, headers, results, edits, items) in one place when a message
/// ends or is aborted.
/// </summary>
public interface IMessageContext
{
    /// <summary>The SMTP client as the MTA reported it at CONNECT.</summary>
    ConnectionInfo Connection { get; }

    /// <summary>HELO/EHLO name, once given.</summary>
    string? Helo { get; }

    /// <summary>The envelope of the current message.</summary>
    Envelope Envelope { get; }

    /// <summary>Macros the MTA sent, kept per stage; lookups search the latest stage first.</summary>
    IMacros Macros { get; }

    /// <summary>The MTA's queue id (macro <c>i</c>), or "NOQUEUE" before it is known; for log lines.</summary>
    string QueueId { get; }

    /// <summary>Header fields of the current message in arrival order (index = position among all headers).</summary>
    IReadOnlyList<HeaderField> Headers { get; }

    /// <summary>Authentication results found so far by earlier plugins (and this one), in plugin order.</summary>
    IReadOnlyList<AuthenticationResult> Results { get; }

    /// <summary>Record a result for later plugins (AuthResults writes them into the header).</summary>
    void AddResult(AuthenticationResult result);

    /// <summary>Names of plugins whose callback threw for this message and whose on-error action let the message go on.</summary>
    IReadOnlyList<string> FailedPlugins { get; }

    /// <summary>Modifications to send at end of message, in the order queued.</summary>
    IMessageEdits Edits { get; }

    /// <summary>Per-message scratch space shared between plugins (keys should be namespaced: "DomainKeys.x").</summary>
    IDictionary<string, object> Items { get; }

    /// <summary>Signalled when the message is aborted or the connection is lost.</summary>
    CancellationToken MessageAborted { get; }
}
