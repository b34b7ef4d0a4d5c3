using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Milters.Abstractions;

namespace Milters.Host.Commands;

/// <summary>What one plugin did with the message in `milters verify`.</summary>
public sealed class VerifyPluginRecord(string name)
{
    public string Name { get; } = name;

    /// <summary>Every callback whose answer was not Continue: (stage, verdict).</summary>
    public List<(string Stage, Verdict Verdict)> Verdicts { get; } = new();

    /// <summary>Callbacks that threw (the chain then applied the plugin's OnError).</summary>
    public List<(string Stage, string Error)> Errors { get; } = new();

    /// <summary>The stages the chain called this plugin for (a terminal verdict of an earlier plugin stops the chain).</summary>
    public HashSet<string> Stages { get; } = new();

    /// <summary>The results this plugin recorded, read at its end of message.</summary>
    public List<AuthenticationResult> Results { get; } = new();

    /// <summary>The terminal verdict it gave (accept, reject …), or Continue.</summary>
    public Verdict Final => Verdicts.Where(v => v.Verdict.IsTerminal).Select(v => v.Verdict).LastOrDefault(Verdict.Continue);
}

/// <summary>
/// Wraps a loaded plugin so `milters verify` can report, per plugin, the verdicts it gave and the results
/// it recorded, while the real chain and protocol run unchanged. Only <see cref="CreateFilter"/> is used:
/// the inner plugin's services were configured when the plugin set was built.
/// </summary>
internal sealed class VerifyRecordingPlugin(IMilterPlugin inner, VerifyPluginRecord record) : IMilterPlugin
{
    public string Name => inner.Name;

    public PluginNeeds Needs => inner.Needs;

    public void ConfigureServices(IServiceCollection services, IConfiguration section) => inner.ConfigureServices(services, section);

    public MessageFilter CreateFilter(IServiceProvider services) => new RecordingFilter(inner.CreateFilter(services), record);

    private sealed class RecordingFilter(MessageFilter inner, VerifyPluginRecord record) : MessageFilter
    {
        public override ValueTask<Verdict> ConnectAsync(IMessageContext context) => Record("connect", inner.ConnectAsync(context));

        public override ValueTask<Verdict> HeloAsync(IMessageContext context) => Record("helo", inner.HeloAsync(context));

        public override ValueTask<Verdict> MailFromAsync(IMessageContext context) => Record("mail", inner.MailFromAsync(context));

        public override ValueTask<Verdict> RecipientAsync(IMessageContext context, string recipient) => Record("rcpt", inner.RecipientAsync(context, recipient));

        public override ValueTask<Verdict> DataAsync(IMessageContext context) => Record("data", inner.DataAsync(context));

        public override ValueTask<Verdict> HeaderAsync(IMessageContext context, HeaderField header) => Record("header", inner.HeaderAsync(context, header));

        public override ValueTask<Verdict> EndOfHeadersAsync(IMessageContext context) => Record("eoh", inner.EndOfHeadersAsync(context));

        public override ValueTask<Verdict> BodyChunkAsync(IMessageContext context, ReadOnlyMemory<byte> chunk) => Record("body", inner.BodyChunkAsync(context, chunk));

        public override async ValueTask<Verdict> EndOfMessageAsync(IMessageContext context)
        {
            try
            {
                return await Record("eom", inner.EndOfMessageAsync(context)).ConfigureAwait(false);
            }
            finally
            {
                record.Results.AddRange(context.Results.Where(r => r.Plugin == record.Name));
            }
        }

        public override ValueTask AbortAsync(IMessageContext context) => inner.AbortAsync(context);

        public override ValueTask<Verdict> UnknownCommandAsync(IMessageContext context, string command) => Record("unknown", inner.UnknownCommandAsync(context, command));

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        private async ValueTask<Verdict> Record(string stage, ValueTask<Verdict> pending)
        {
            record.Stages.Add(stage);
            try
            {
                var verdict = await pending.ConfigureAwait(false);
                if (verdict.Kind != VerdictKind.Continue) record.Verdicts.Add((stage, verdict));
                return verdict;
            }
            catch (Exception e)
            {
                record.Errors.Add((stage, $"{e.GetType().Name}: {e.Message}"));
                throw;
            }
        }
    }
}
