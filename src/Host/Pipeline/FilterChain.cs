using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Metrics;

namespace Milters.Host.Pipeline;

/// <summary>
/// The plugins of one connection, in configured order. Every event goes to every plugin in order; the
/// first terminal verdict wins and later plugins are not called for that event. Body: Skip only when every
/// plugin has skipped. A plugin that throws or overruns its deadline gets its on-error action, with one
/// log line naming plugin, queue id and error; with Continue it is noted in FailedPlugins and left out for
/// the rest of the message.
/// </summary>
public sealed class FilterChain : IAsyncDisposable
{
    private readonly Slot[] slots;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly MilterMetrics? metrics;
    private readonly TimeSpan? blockingWarning;
    private readonly bool watchFromStart;
    private readonly Func<double?> loadAverage;
    private readonly PluginSet plugins;

    /// <summary>A plugin overran its deadline in this message: its token is cancelled when the message ends.</summary>
    private bool overran;

    /// <summary>
    /// With inline socket completions a callback before end of message runs on a socket thread, and while it
    /// holds that thread synchronously the other connections of the thread wait. Longer than this is worth a
    /// warning (once per plugin and step): far above any CPU work a callback should do on one 64 KB chunk.
    /// </summary>
    public static readonly TimeSpan? DefaultBlockingWarning =
        Hosting.InlineSocketCompletions.InEffect ? TimeSpan.FromMilliseconds(50) : null;

    private static readonly ConcurrentDictionary<(string Plugin, ChainEvent Event, bool Overloaded), byte> reportedBlocking = new();

    /// <param name="blockingWarning">Warn when a callback before end of message holds its thread this long (null: never).</param>
    /// <param name="loadAverage">The machine's load average, asked when such a warning is due (default: /proc/loadavg).</param>
    public FilterChain(PluginSet plugins, MessageContext context, ILogger logger,
        Func<LoadedPlugin, TimeSpan?>? deadlineOf = null, TimeProvider? time = null, MilterMetrics? metrics = null,
        TimeSpan? blockingWarning = null, Func<double?>? loadAverage = null)
    {
        this.loadAverage = loadAverage ?? Hosting.MachineLoad.OneMinute;
        this.metrics = metrics;
        this.blockingWarning = blockingWarning ?? DefaultBlockingWarning;
        // A threshold given explicitly (tests, tools) is meant from the first call.
        watchFromStart = blockingWarning is not null;
        Context = context;
        this.plugins = plugins;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        slots = new Slot[plugins.Plugins.Count];
        for (int i = 0; i < slots.Length; i++)
        {
            var plugin = plugins.Plugins[i];
            slots[i] = new Slot(plugin, CreateFilter(plugin), new PluginMessageContext(context, plugin.Name), deadlineOf?.Invoke(plugin));
        }
    }

    private MessageFilter CreateFilter(LoadedPlugin plugin)
    {
        try
        {
            return plugin.Plugin.CreateFilter(plugins.Services);
        }
        catch (Exception ex)
        {
            logger.LogError("plugin {Plugin} could not create its filter: {Error}", plugin.Name, Describe(ex));
            return new BrokenFilter(ex);
        }
    }

    public MessageContext Context { get; }

    public ValueTask<Verdict> ConnectAsync() =>
        RunAsync(ChainEvent.Connect, static (f, c, _) => f.ConnectAsync(c), 0);

    public ValueTask<Verdict> HeloAsync() =>
        RunAsync(ChainEvent.Helo, static (f, c, _) => f.HeloAsync(c), 0);

    public ValueTask<Verdict> MailFromAsync() =>
        RunAsync(ChainEvent.MailFrom, static (f, c, _) => f.MailFromAsync(c), 0);

    public ValueTask<Verdict> RecipientAsync(string recipient) =>
        RunAsync(ChainEvent.Recipient, static (f, c, r) => f.RecipientAsync(c, r), recipient);

    public ValueTask<Verdict> DataAsync() =>
        RunAsync(ChainEvent.Data, static (f, c, _) => f.DataAsync(c), 0);

    /// <summary>Appends the header to the context, then lets every plugin see it.</summary>
    public ValueTask<Verdict> HeaderAsync(HeaderField header)
    {
        Context.AddHeader(header);
        return RunAsync(ChainEvent.Header, static (f, c, h) => f.HeaderAsync(c, h), header);
    }

    public ValueTask<Verdict> EndOfHeadersAsync() =>
        RunAsync(ChainEvent.EndOfHeaders, static (f, c, _) => f.EndOfHeadersAsync(c), 0);

    /// <summary>One body chunk; <paramref name="chunk"/> is only valid during the call.</summary>
    public ValueTask<Verdict> BodyChunkAsync(ReadOnlyMemory<byte> chunk) =>
        RunAsync(ChainEvent.Body, static (f, c, b) => f.BodyChunkAsync(c, b), chunk);

    public async ValueTask<Verdict> EndOfMessageAsync()
    {
        var verdict = await RunAsync(ChainEvent.EndOfMessage, static (f, c, _) => f.EndOfMessageAsync(c), 0);
        metrics?.ResultsRecorded(Context.Results);
        return verdict;
    }

    public ValueTask<Verdict> UnknownCommandAsync(string command) =>
        RunAsync(ChainEvent.Unknown, static (f, c, s) => f.UnknownCommandAsync(c, s), command);

    /// <summary>True while at least one plugin still wants body chunks of this message.</summary>
    public bool WantsBody
    {
        get
        {
            foreach (var s in slots)
                if (!s.Failed && !s.SkippedBody) return true;
            return false;
        }
    }

    /// <summary>
    /// The message is over (end of message, ABORT, a message-ending verdict, lost connection): signal
    /// MessageAborted when <paramref name="aborted"/>, let each plugin drop its state, then clear the
    /// message part of the context and the chain's per-message marks.
    /// </summary>
    public async ValueTask EndMessageAsync(bool aborted)
    {
        // An overrunning plugin's lookups stop with the message (its token is not handed to the next one).
        if (aborted || overran) CancelMessage();
        overran = false;
        foreach (var slot in slots)
        {
            try
            {
                // A filter that took over after an overrun has seen nothing of this message (nor the connection yet).
                if (!slot.ReplayConnection && await WithinDeadlineAsync(slot, slot.Filter.AbortAsync(slot.Context), "aborting message " + Context.QueueId, abandonFilter: true))
                    overran = true;
            }
            catch (Exception ex)
            {
                logger.LogWarning("plugin {Plugin} failed to abort message {QueueId}: {Error}", slot.Plugin.Name, Context.QueueId, Describe(ex));
            }
            slot.Failed = false;
            slot.SkippedBody = false;
        }
        // An abandoned abort's token must not become the next message's (ResetMessage would TryReset and keep it).
        if (overran)
        {
            overran = false;
            CancelMessage();
        }
        Context.ResetMessage();
    }

    /// <summary>Signals MessageAborted; a callback that throws is logged, and the chain goes on ending the message.</summary>
    private void CancelMessage()
    {
        if (Context.CancelMessage() is { } failed)
            logger.LogWarning("{QueueId}: a plugin's MessageAborted callback failed: {Error}", Context.QueueId, MessageContext.Describe(failed));
    }

    public async ValueTask DisposeAsync()
    {
        // An overrun outside a message (CONNECT, HELO) ends with the connection: its lookups stop too.
        if (overran) CancelMessage();
        foreach (var slot in slots)
        {
            try
            {
                _ = await WithinDeadlineAsync(slot, slot.Filter.DisposeAsync(), "closing", abandonFilter: false);
            }
            catch (Exception ex)
            {
                logger.LogWarning("plugin {Plugin} failed to close: {Error}", slot.Plugin.Name, Describe(ex));
            }
        }
    }

    private async ValueTask<Verdict> RunAsync<TArg>(
        ChainEvent ev, Func<MessageFilter, IMessageContext, TArg, ValueTask<Verdict>> call, TArg arg)
    {
        bool bodyWanted = false;
        foreach (var slot in slots)
        {
            if (slot.Failed || (ev == ChainEvent.Body && slot.SkippedBody)) continue;
            Verdict verdict;
            try
            {
                if (slot.ReplayConnection && await ReplayConnectionAsync(slot, ev) is { IsTerminal: true } refused)
                {
                    verdict = refused;
                    goto decided;
                }
                ValueTask<Verdict> pending;
                if (blockingWarning is { } limit && ev != ChainEvent.EndOfMessage)
                {
                    var started = Stopwatch.GetTimestamp();
                    pending = call(slot.Filter, slot.Context, arg);
                    if (Stopwatch.GetElapsedTime(started) is var held && held >= limit) ReportBlocking(slot, ev, held);
                }
                else
                {
                    pending = call(slot.Filter, slot.Context, arg);
                }
                verdict = pending.IsCompletedSuccessfully ? pending.Result : await WithDeadline(slot, pending, ev);
            }
            catch (Exception ex)
            {
                if (OnError(slot, ev, ex) is { } errorVerdict) return errorVerdict;
                continue;
            }

            decided:
            if (verdict.IsTerminal)
            {
                // A refusal the MTA passes on to the sender: one warning naming it, so `journalctl -p warning` lists
                // every 4xx/5xx with its queue id next to the plugin's own line saying why.
                if (verdict.Kind is VerdictKind.Reject or VerdictKind.TempFail)
                    logger.LogWarning("{QueueId}: {Plugin} answered {Reply} at {Event}", Context.QueueId, slot.Plugin.Name,
                        verdict.Reply?.ToString() ?? (verdict.Kind == VerdictKind.Reject ? "reject" : "tempfail"), ev);
                else
                    logger.LogDebug("plugin {Plugin} answered {Verdict} at {Event} for {QueueId}", slot.Plugin.Name, verdict.Kind, ev, Context.QueueId);
                metrics?.PluginVerdict(slot.Plugin.Name, verdict);
                return verdict;
            }
            if (ev == ChainEvent.Body)
            {
                if (verdict.Kind == VerdictKind.Skip) slot.SkippedBody = true;
                else bodyWanted = true;
            }
        }
        return ev == ChainEvent.Body && !bodyWanted ? Verdict.Skip : Verdict.Continue;
    }

    /// <summary>When the process started: its first seconds compile the plugins' code (JIT), which is no blocking.</summary>
    private static readonly long ProcessStarted = Stopwatch.GetTimestamp();

    /// <summary>How long after start a slow callback is put down to compiling rather than to the plugin.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(60);

    private void ReportBlocking(Slot slot, ChainEvent ev, TimeSpan held)
    {
        // A fresh process taking traffic at once spent 50–130 ms in the built-in plugins' first calls: compiling,
        // not blocking (an independent review saw the warning after 5 of 15 restarts under load).
        if (!watchFromStart && Stopwatch.GetElapsedTime(ProcessStarted) < WarmUp) return;
        // On an overloaded machine the thread may have waited for a core, not for the plugin: said so, and reported
        // apart, so that the plugin is still named once if it holds the thread at normal load too (a verification
        // soak at load 8–12 on 2 cores saw SenderId "hold" 86 ms at MAIL FROM, where it only starts its DNS queries).
        if (loadAverage() is { } load && load > Environment.ProcessorCount)
        {
            if (!reportedBlocking.TryAdd((slot.Plugin.Name, ev, true), 0)) return;
            logger.LogWarning("plugin {Plugin} held its socket thread for {Milliseconds:0} ms at {Event} (message {QueueId}) while the machine's load average was {Load:0.0} on {Cores} cores: "
                + "the thread may have waited for a core rather than for the plugin. If it recurs at normal load the plugin blocks (docs/PLUGINS.md). Reported once per plugin and step",
                slot.Plugin.Name, held.TotalMilliseconds, ev, Context.QueueId, load, Environment.ProcessorCount);
            return;
        }
        if (!reportedBlocking.TryAdd((slot.Plugin.Name, ev, false), 0)) return;
        logger.LogWarning("plugin {Plugin} held its socket thread for {Milliseconds:0} ms at {Event} (message {QueueId}); the other connections of that thread waited. "
            + "Plugins must not block before end of message (docs/PLUGINS.md); Listen:InlineCompletions=false hands every callback to the thread pool instead. Reported once per plugin and step",
            slot.Plugin.Name, held.TotalMilliseconds, ev, Context.QueueId);
    }

    private async ValueTask<Verdict> WithDeadline(Slot slot, ValueTask<Verdict> pending, ChainEvent ev)
    {
        if (slot.Deadline is not { } limit) return await pending;
        var task = pending.AsTask();
        try
        {
            return await task.WaitAsync(limit, time);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            Abandon(slot, task, ev);
            throw new TimeoutException($"no answer within its deadline of {limit.TotalSeconds:0.###} s");
        }
        catch (TimeoutException) when (task.IsCompleted)
        {
            // The deadline fell as the plugin answered (the timer's thread lost the race to the plugin's): its answer
            // stands — and a TimeoutException of the plugin's own comes out of the await as the plugin's failure.
            return await task;
        }
    }

    /// <summary>
    /// The plugin's call overran: it goes on running, so its filter and its view of the message are given up —
    /// the view detached (late edits and results land nowhere: an independent review saw a late SPF pass stamped
    /// on the next message of the connection, and the late end of the old message reset the new one's state) and a
    /// fresh filter takes the slot, told of the connection again before its next call. The old filter is disposed
    /// once its call has ended.
    /// </summary>
    private void Abandon(Slot slot, Task<Verdict> running, ChainEvent ev)
    {
        overran = true;
        // Inside a message the new filter has not seen its start (MAIL FROM): it sits the message out, whatever
        // the on-error action (a refused recipient lets the message go on).
        if (ev is not (ChainEvent.Connect or ChainEvent.Helo or ChainEvent.Unknown))
        {
            slot.Failed = true;
            Context.AddFailedPlugin(slot.Plugin.Name);
        }
        AbandonFilter(slot, running);
    }

    /// <summary>A fresh filter takes the slot; the old one, its call still running, is disposed once that ends.</summary>
    private void AbandonFilter(Slot slot, Task running)
    {
        slot.Context.Detach();
        var old = slot.Filter;
        slot.Filter = CreateFilter(slot.Plugin);
        slot.Context = new PluginMessageContext(Context, slot.Plugin.Name);
        slot.ReplayConnection = true;
        // The abandoned call may outlive this chain and its session: it keeps the set's services open till it ends.
        var leased = plugins.TryAcquire();
        _ = RetireAsync(slot.Plugin.Name, running, old, leased);
    }

    /// <summary>
    /// AbortAsync and DisposeAsync under the plugin's deadline too: a plugin deaf in them held its connection (and
    /// the MTA's next message on it, or the connection slot) for ever. An abort past the deadline costs the filter
    /// (a fresh one takes the slot); a close past it is left to finish on its own, the set's services kept open.
    /// </summary>
    private async ValueTask<bool> WithinDeadlineAsync(Slot slot, ValueTask pending, string what, bool abandonFilter)
    {
        if (pending.IsCompletedSuccessfully) return false;
        if (slot.Deadline is not { } limit)
        {
            await pending;
            return false;
        }
        var task = pending.AsTask();
        try
        {
            await task.WaitAsync(limit, time);
            return false;
        }
        catch (TimeoutException) when (task.IsCompleted)
        {
            // Finished as the deadline fell: in time after all (see WithDeadline).
            await task;
            return false;
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            logger.LogWarning("plugin {Plugin} did not finish {What} within its deadline of {Limit} s; given up", slot.Plugin.Name, what, limit.TotalSeconds);
            if (abandonFilter)
            {
                AbandonFilter(slot, task);
                return true;
            }
            // What the late close writes lands nowhere (after SMFIC_QUIT_NC the shared context serves the next client).
            slot.Context.Detach();
            var leased = plugins.TryAcquire();
            _ = RetireAsync(slot.Plugin.Name, task, toClose: null, leased);
            return true;
        }
    }

    /// <summary>
    /// The end of a call given up at its deadline: a late answer (<paramref name="toClose"/> is then the filter it came
    /// from, closed afterwards) or a late close (<paramref name="toClose"/> null). The set's lease goes last.
    /// </summary>
    private async Task RetireAsync(string plugin, Task running, MessageFilter? toClose, bool leased)
    {
        try
        {
            try
            {
                await running.ConfigureAwait(false);
                if (toClose is not null) logger.LogInformation("plugin {Plugin} finished its call after the deadline; what it did was dropped", plugin);
            }
            catch (Exception ex)
            {
                if (toClose is null) logger.LogWarning("plugin {Plugin} failed to close: {Error}", plugin, Describe(ex));
                else logger.LogInformation("plugin {Plugin} ended after its deadline with {Error}", plugin, Describe(ex));
            }
            if (toClose is null) return;
            try
            {
                await toClose.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                logger.LogWarning("plugin {Plugin} failed to close: {Error}", plugin, Describe(ex));
            }
        }
        finally
        {
            if (leased) plugins.Release();
        }
    }

    /// <summary>
    /// A filter that took over after an overrun has not seen this connection: it is shown CONNECT and HELO again
    /// before its first event (not before CONNECT itself, which a new SMTP client on the connection brings). A
    /// terminal answer there stands for the event at hand.
    /// </summary>
    private async ValueTask<Verdict?> ReplayConnectionAsync(Slot slot, ChainEvent ev)
    {
        slot.ReplayConnection = false;
        if (ev == ChainEvent.Connect) return null;
        var connect = await WithDeadline(slot, slot.Filter.ConnectAsync(slot.Context), ChainEvent.Connect);
        if (connect.IsTerminal || Context.Helo is null || ev == ChainEvent.Helo) return connect;
        return await WithDeadline(slot, slot.Filter.HeloAsync(slot.Context), ChainEvent.Helo);
    }

    /// <summary>Applies the plugin's on-error action; null means go on with the next plugin.</summary>
    private Verdict? OnError(Slot slot, ChainEvent ev, Exception ex)
    {
        var action = slot.Plugin.OnError;
        logger.LogError("plugin {Plugin} failed at {Event} for {QueueId}: {Error}; on-error action {Action}",
            slot.Plugin.Name, ev, Context.QueueId, Describe(ex), action);
        logger.LogDebug(ex, "plugin {Plugin} failure detail", slot.Plugin.Name);
        metrics?.PluginFailed(slot.Plugin.Name, ev.ToString());
        switch (action)
        {
            case OnErrorAction.Continue:
                slot.Failed = true;
                Context.AddFailedPlugin(slot.Plugin.Name);
                return null;
            case OnErrorAction.Accept:
                return Verdict.Accept;
            case OnErrorAction.Reject:
                return Verdict.Reject;
            default:
                return Verdict.TempFail;
        }
    }

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    private sealed class Slot(LoadedPlugin plugin, MessageFilter filter, PluginMessageContext context, TimeSpan? deadline)
    {
        public LoadedPlugin Plugin { get; } = plugin;
        public MessageFilter Filter { get; set; } = filter;
        public PluginMessageContext Context { get; set; } = context;

        /// <summary>The filter took over after an overrun and has not been shown the connection yet.</summary>
        public bool ReplayConnection { get; set; }
        public TimeSpan? Deadline { get; } = deadline;

        /// <summary>Per message: the plugin threw and its action was Continue; it sits out the rest of the message.</summary>
        public bool Failed { get; set; }

        /// <summary>Per message: the plugin answered Skip to a body chunk.</summary>
        public bool SkippedBody { get; set; }
    }
}
