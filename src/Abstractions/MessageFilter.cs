namespace Milters.Abstractions;

/// <summary>
/// Per-connection filter: the host calls these in protocol order for every message on the connection.
/// Every callback gets the same <see cref="IMessageContext"/>, whose message part the host resets after
/// end of message and on ABORT (then <see cref="AbortAsync"/> runs so the filter drops its own per-message
/// state). Defaults return <see cref="Verdict.Continue"/>. Exceptions are caught by the host and mapped to
/// the plugin's configured on-error action.
/// </summary>
public abstract class MessageFilter : IAsyncDisposable
{
    public virtual ValueTask<Verdict> ConnectAsync(IMessageContext context) => Verdict.ContinueTask;

    public virtual ValueTask<Verdict> HeloAsync(IMessageContext context) => Verdict.ContinueTask;

    /// <summary>MAIL FROM arrived: <see cref="IMessageContext.Envelope"/>.<c>MailFrom</c> is set. A new message starts here.</summary>
    public virtual ValueTask<Verdict> MailFromAsync(IMessageContext context) => Verdict.ContinueTask;

    public virtual ValueTask<Verdict> RecipientAsync(IMessageContext context, string recipient) => Verdict.ContinueTask;

    public virtual ValueTask<Verdict> DataAsync(IMessageContext context) => Verdict.ContinueTask;

    /// <summary>One header field; it is also appended to <see cref="IMessageContext.Headers"/> before this call.</summary>
    public virtual ValueTask<Verdict> HeaderAsync(IMessageContext context, HeaderField header) => Verdict.ContinueTask;

    /// <summary>All headers seen: a good moment to start DNS lookups that the end of message will await.</summary>
    public virtual ValueTask<Verdict> EndOfHeadersAsync(IMessageContext context) => Verdict.ContinueTask;

    /// <summary>
    /// One body chunk (CRLF line endings, at most 64 KB). The memory is valid only during the call:
    /// hash it, never keep it. Return <see cref="Verdict.Skip"/> when no more body is needed.
    /// </summary>
    public virtual ValueTask<Verdict> BodyChunkAsync(IMessageContext context, ReadOnlyMemory<byte> chunk) => Verdict.ContinueTask;

    /// <summary>End of message: queue modifications on the context and/or return the final verdict.</summary>
    public virtual ValueTask<Verdict> EndOfMessageAsync(IMessageContext context) => Verdict.ContinueTask;

    /// <summary>The message was aborted (or ended): drop per-message state. The connection goes on.</summary>
    public virtual ValueTask AbortAsync(IMessageContext context) => ValueTask.CompletedTask;

    /// <summary>An SMTP command the MTA did not recognise (SMFIC_UNKNOWN).</summary>
    public virtual ValueTask<Verdict> UnknownCommandAsync(IMessageContext context, string command) => Verdict.ContinueTask;

    /// <summary>The connection closed (QUIT or otherwise).</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
