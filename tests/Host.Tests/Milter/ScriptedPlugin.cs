using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Milters.Abstractions;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// A test plugin whose callbacks are delegates; every callback is recorded in <see cref="Events"/> as
/// "event" or "event:detail". Unset callbacks answer Continue.
/// </summary>
public sealed class ScriptedPlugin(string name, PluginNeeds needs) : IMilterPlugin
{
    public string Name { get; } = name;

    public PluginNeeds Needs { get; set; } = needs;

    public ConcurrentQueue<string> Events { get; } = new();

    public int FiltersCreated;

    public Func<IMessageContext, Verdict>? OnConnect, OnHelo, OnMail, OnData, OnEndOfHeaders, OnEndOfMessage;
    public Func<IMessageContext, string, Verdict>? OnRecipient, OnUnknown;
    public Func<IMessageContext, HeaderField, Verdict>? OnHeader;
    public Func<IMessageContext, ReadOnlyMemory<byte>, Verdict>? OnBody;
    public Func<IMessageContext, Task<Verdict>>? OnEndOfMessageAsync;
    public Action<IMessageContext>? OnAbort;

    /// <summary>Awaited by AbortAsync and DisposeAsync when set: a plugin that takes its time (or never ends).</summary>
    public Func<Task>? AbortTakes, DisposeTakes;

    public void ConfigureServices(IServiceCollection services, IConfiguration section) { }

    public MessageFilter CreateFilter(IServiceProvider services)
    {
        Interlocked.Increment(ref FiltersCreated);
        return new Filter(this);
    }

    private sealed class Filter(ScriptedPlugin p) : MessageFilter
    {
        private ValueTask<Verdict> Run(string ev, Func<Verdict>? call)
        {
            p.Events.Enqueue(ev);
            return new(call?.Invoke() ?? Verdict.Continue);
        }

        public override ValueTask<Verdict> ConnectAsync(IMessageContext c) => Run($"connect:{c.Connection.HostName}", p.OnConnect is { } f ? () => f(c) : null);
        public override ValueTask<Verdict> HeloAsync(IMessageContext c) => Run($"helo:{c.Helo}", p.OnHelo is { } f ? () => f(c) : null);
        public override ValueTask<Verdict> MailFromAsync(IMessageContext c) => Run($"mail:{c.Envelope.MailFrom}", p.OnMail is { } f ? () => f(c) : null);
        public override ValueTask<Verdict> RecipientAsync(IMessageContext c, string r) => Run($"rcpt:{r}", p.OnRecipient is { } f ? () => f(c, r) : null);
        public override ValueTask<Verdict> DataAsync(IMessageContext c) => Run("data", p.OnData is { } f ? () => f(c) : null);
        public override ValueTask<Verdict> HeaderAsync(IMessageContext c, HeaderField h) => Run($"header:{h.Name}", p.OnHeader is { } f ? () => f(c, h) : null);
        public override ValueTask<Verdict> EndOfHeadersAsync(IMessageContext c) => Run("eoh", p.OnEndOfHeaders is { } f ? () => f(c) : null);

        public override ValueTask<Verdict> BodyChunkAsync(IMessageContext c, ReadOnlyMemory<byte> chunk)
        {
            p.Events.Enqueue($"body:{chunk.Length}");
            return new(p.OnBody?.Invoke(c, chunk) ?? Verdict.Continue);
        }

        public override async ValueTask<Verdict> EndOfMessageAsync(IMessageContext c)
        {
            p.Events.Enqueue("eom");
            if (p.OnEndOfMessageAsync is { } a) return await a(c);
            return p.OnEndOfMessage?.Invoke(c) ?? Verdict.Continue;
        }

        public override ValueTask<Verdict> UnknownCommandAsync(IMessageContext c, string command) => Run($"unknown:{command}", p.OnUnknown is { } f ? () => f(c, command) : null);

        public override async ValueTask AbortAsync(IMessageContext c)
        {
            p.Events.Enqueue("abort");
            p.OnAbort?.Invoke(c);
            if (p.AbortTakes is { } takes) await takes();
        }

        public override async ValueTask DisposeAsync()
        {
            p.Events.Enqueue("dispose");
            if (p.DisposeTakes is { } takes) await takes();
            await base.DisposeAsync();
        }
    }
}
