using System.Runtime.ExceptionServices;
using Milters.Abstractions;

namespace Milters.Host.Pipeline;

/// <summary>
/// Stands in for a plugin whose CreateFilter threw: every event rethrows that error, so the plugin's
/// on-error action applies exactly as if a callback had failed.
/// </summary>
internal sealed class BrokenFilter(Exception error) : MessageFilter
{
    private ValueTask<Verdict> Fail()
    {
        ExceptionDispatchInfo.Throw(error);
        return default;
    }

    public override ValueTask<Verdict> ConnectAsync(IMessageContext context) => Fail();
    public override ValueTask<Verdict> HeloAsync(IMessageContext context) => Fail();
    public override ValueTask<Verdict> MailFromAsync(IMessageContext context) => Fail();
    public override ValueTask<Verdict> RecipientAsync(IMessageContext context, string recipient) => Fail();
    public override ValueTask<Verdict> DataAsync(IMessageContext context) => Fail();
    public override ValueTask<Verdict> HeaderAsync(IMessageContext context, HeaderField header) => Fail();
    public override ValueTask<Verdict> EndOfHeadersAsync(IMessageContext context) => Fail();
    public override ValueTask<Verdict> BodyChunkAsync(IMessageContext context, ReadOnlyMemory<byte> chunk) => Fail();
    public override ValueTask<Verdict> EndOfMessageAsync(IMessageContext context) => Fail();
    public override ValueTask<Verdict> UnknownCommandAsync(IMessageContext context, string command) => Fail();
}
