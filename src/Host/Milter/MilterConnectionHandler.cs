using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Milters.Host.Metrics;
using Milters.Host.Milter.Negotiation;
using Milters.Host.Milter.Protocol;
using Milters.Host.Milter.Session;
using Milters.Host.Pipeline;

namespace Milters.Host.Milter;

/// <summary>
/// Runs the milter protocol on an accepted connection: reads frames through a pipe, hands them to a
/// <see cref="MilterSession"/>, and sends everything answering one command in one write. Closes the
/// connection (one log line) on a malformed frame, on idle timeout, on QUIT, and at shutdown once no
/// message is in flight. Never throws.
/// </summary>
public sealed class MilterConnectionHandler : IMilterConnectionHandler
{
    private readonly IPluginSetProvider plugins;
    private readonly IConfiguration configuration;
    private readonly ILogger logger;
    private readonly ILogger chainLogger;
    private readonly TimeProvider time;

    /// <summary>A client can cause a protocol error per connection at will: at most this many lines a minute.</summary>
    public const int ProtocolErrorLinesPerMinute = 20;

    private readonly Hosting.LogThrottle protocolErrorLines;
    private readonly MilterMetrics? metrics;
    private readonly ConcurrentDictionary<(uint Offered, uint Missing), byte> reportedMissing = new();
    private int conversations; // conversations in progress

    public MilterConnectionHandler(IPluginSetProvider plugins, IConfiguration configuration, ILoggerFactory loggerFactory,
        TimeProvider? time = null, MilterMetrics? metrics = null)
    {
        this.metrics = metrics;
        this.plugins = plugins;
        this.configuration = configuration;
        this.time = time ?? TimeProvider.System;
        protocolErrorLines = new Hosting.LogThrottle(ProtocolErrorLinesPerMinute, TimeSpan.FromMinutes(1), this.time);
        Options = MilterOptions.From(configuration);

        logger = loggerFactory.CreateLogger<MilterConnectionHandler>();
        chainLogger = loggerFactory.CreateLogger<FilterChain>();
    }

    public MilterOptions Options { get; }

    public async Task HandleAsync(Stream connection, string peerDescription, CancellationToken shutdown)
    {
        metrics?.ConnectionOpened();
        Interlocked.Increment(ref conversations);
        try
        {
            await ServeAsync(connection, peerDescription, shutdown);
        }
        finally
        {
            Interlocked.Decrement(ref conversations);
            metrics?.ConnectionClosed();
        }
    }

    private async Task ServeAsync(Stream connection, string peerDescription, CancellationToken shutdown)
    {
        MilterSession? session = null;
        var reader = PipeReader.Create(connection, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4096, leaveOpen: true));
        var replies = new ArrayBufferWriter<byte>(512);
        var idle = new CancellationTokenSource();
        CancellationTokenRegistration onShutdown = default;
        // The queue id of a message whose end-of-message answer is on its way (the context forgets it once the
        // plugins are done), for the log line when the connection is lost before the answer is out.
        string? answering = null;
        try
        {
            session = new MilterSession(plugins.Current, CreateChain, logger, ReportMissingActions, Options, metrics, () => plugins.Current);
            var current = session;
            // At shutdown a message in flight is finished first, and a connection between messages is still served
            // for a moment (ShutdownIdleGrace): an SMTP session sending several messages, or about to QUIT, ends in
            // order instead of finding its milter connection reset (Postfix then logged an error and tempfailed the
            // session's next message; found by an independent review of restarts under load).
            onShutdown = shutdown.Register(() =>
            {
                if (!current.InMessage) reader.CancelPendingRead();
            });

            // The idle time-out runs from the last whole command, not from the last byte: a client trickling a byte
            // now and then into a frame it never finishes would otherwise hold the connection (and its buffer) for
            // ever, and enough of them fill Listen:MaxConnections (found by an independent review).
            var waitingSince = Environment.TickCount64;
            // Set once, when the connection is first seen between messages after shutdown; frames do not extend it.
            long closeAt = 0;
            var turn = ThreadTurn.StartNow();
            var onItsLoop = connection is IRunsOnItsEventLoop;
            while (true)
            {
                ReadResult result;
                var now = Environment.TickCount64;
                var left = Options.ConnectionTimeout - TimeSpan.FromMilliseconds(now - waitingSince);
                var stopping = shutdown.IsCancellationRequested && !session.InMessage;
                if (stopping)
                {
                    if (closeAt == 0) closeAt = now + (long)ShutdownIdleGrace.TotalMilliseconds;
                    var grace = TimeSpan.FromMilliseconds(closeAt - now);
                    if (grace < left) left = grace;
                }
                try
                {
                    if (left <= TimeSpan.Zero) throw new OperationCanceledException(idle.Token);
                    idle.CancelAfter(left);
                    var reading = reader.ReadAsync(idle.Token);
                    var waited = !reading.IsCompleted;
                    result = await reading;
                    // The loops keep their own turns (EventLoop.TurnIsOver): the clock is .NET's sockets' only.
                    if (onItsLoop) { }
                    else if (waited) turn.Restart();
                    else if (turn.IsOver) { await Task.Yield(); turn.Restart(); }
                }
                catch (OperationCanceledException) when (idle.IsCancellationRequested || left <= TimeSpan.Zero)
                {
                    if (stopping)
                        logger.LogDebug("{Peer}: closing between messages at shutdown", peerDescription);
                    else
                        logger.LogInformation("{Peer}: closing: no command from the MTA within {Timeout}", peerDescription, Options.ConnectionTimeout);
                    return;
                }
                idle = Rearm(idle);
                if (result.IsCanceled) continue;

                var buffer = result.Buffer;
                bool open = true, answered = false;
                try
                {
                    while (open && MilterFrameReader.TryRead(ref buffer, Options.MaxFrameSize, out var frame))
                    {
                        // End of message is where the long work is (the signature). On a socket thread it would hold
                        // up that thread's other connections (Listen:InlineCompletions); in the pool any idle core
                        // takes it. Measured at c=8, 4 KB: p99 4.5 ms instead of 7.2 ms, +10 % messages/s.
                        // Alone, there is nobody to hold up and the hand-off would only add a thread wake-up (c=1:
                        // −8 % messages/s, +36 % CPU). Any other conversation may share this socket thread — they
                        // are spread round-robin, not by load — so two are already enough to hand off: at half load
                        // (1,980 msg/s over 16 connections) p99 1.58–1.94 ms, against 1.63–2.58 ms when the
                        // hand-off waited for more conversations than socket threads (docs/BENCHMARKS.md, 0c).
                        // Short work (a verification) too: kept on the socket thread, it saved 15 % CPU one connection
                        // per message, but on persistent connections one connection's messages then followed each
                        // other while the thread's other connections waited, up to 100 ms (0g).
                        // A connection of our own event loops (Listen:EventLoops) stays on its loop, as a C milter's
                        // process per core does: the loops take new connections only when free (docs/BENCHMARKS.md 0k).
                        if (frame.Command == MilterCommand.EndOfMessage && OffloadEndOfMessage && connection is not IRunsOnItsEventLoop
                            && Volatile.Read(ref conversations) > 1)
                        {
                            await Task.Yield();
                            // The wait in the pool's queue was not this conversation's turn (a review counted a second
                            // yield after three in four greedy ends of message without this).
                            turn.Restart();
                        }
                        if (frame.Command == MilterCommand.EndOfMessage) answering = session.Context.QueueId;
                        var handling = session.HandleAsync(frame, replies);
                        open = handling.IsCompletedSuccessfully ? handling.Result
                            : frame.Command == MilterCommand.EndOfMessage ? await KeepMtaWaitingAsync(handling, connection, session.Context, answering!)
                            : await handling;
                        if (replies.WrittenCount > 0)
                        {
                            // Everything answering this command in one write (no Nagle / delayed-ACK stall).
                            idle.CancelAfter(Options.ConnectionTimeout);
                            await connection.WriteAsync(replies.WrittenMemory, idle.Token);
                            idle = Rearm(idle);
                            replies.ResetWrittenCount();
                            answered = true;
                        }
                        answering = null;
                        waitingSince = Environment.TickCount64;
                        if (closeAt != 0 && !session.InMessage && waitingSince >= closeAt) open = false;
                        // A client that writes whole messages ahead, not waiting for end-of-message replies, has the next
                        // one in this buffer already and no read of it waits: after its turn it queues up behind the loop's
                        // other ready connections (an independent review: 37–60 ms for a neighbour at a time without).
                        if (open && frame.Command == MilterCommand.EndOfMessage && !buffer.IsEmpty)
                        {
                            if (connection is IRunsOnItsEventLoop { TurnIsOver: true } onLoop) await onLoop.YieldTurnAsync();
                            else if (!onItsLoop && turn.IsOver) { await Task.Yield(); turn.Restart(); }
                        }
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (!open) return;
                // Nothing sent back to carry the ACK, and the MTA may be holding its next command until this
                // one is acknowledged (Nagle; Postfix writes each frame on its own).
                if (!answered && !result.IsCompleted) (connection as IAcknowledgeNow)?.AcknowledgeNow();
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                    {
                        if (ProtocolErrorLine() is { } leftOut)
                            logger.LogWarning("{Peer}: protocol error: connection closed inside a frame ({Bytes} byte(s) of an incomplete frame){LeftOut}", peerDescription, buffer.Length, leftOut);
                        metrics?.ProtocolError();
                    }
                    else if (session.InMessage && shutdown.IsCancellationRequested)
                        // The drain timeout shuts such sockets down itself: whose close it was cannot be told here.
                        logger.LogInformation("{Peer}: connection closed during shutdown in the middle of message {QueueId} (the MTA keeps it and retries)", peerDescription, session.Context.QueueId);
                    else if (session.InMessage)
                        logger.LogInformation("{Peer}: the MTA closed the connection in the middle of message {QueueId}", peerDescription, session.Context.QueueId);
                    else
                        logger.LogDebug("{Peer}: the MTA closed the connection", peerDescription);
                    return;
                }
            }
        }
        catch (MilterProtocolException ex)
        {
            if (ProtocolErrorLine() is { } leftOut)
                logger.LogWarning("{Peer}: protocol error: {Error}; closing the connection{LeftOut}", peerDescription, ex.Message, leftOut);
            metrics?.ProtocolError();
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            logger.LogInformation("{Peer}: closing: the MTA did not take our reply within {Timeout}", peerDescription, Options.ConnectionTimeout);
        }
        catch (EndOfMessageCutException ex)
        {
            logger.LogInformation("{Peer}: connection lost in the middle of message {QueueId} (end of message): {Error}", peerDescription, ex.QueueId, ex.InnerException?.Message);
            if (ex.StillRunning is { } running)
            {
                // The plugins did not end within WaitAfterLostConnection even when told: the session is closed once they
                // do, not under them, and its connection slot is given back now.
                logger.LogWarning("{Peer}: a plugin still works on message {QueueId} {Timeout} after the MTA went away; its session is closed when it ends", peerDescription, ex.QueueId, Options.WaitAfterLostConnection);
                var orphan = session;
                session = null;
                _ = CloseWhenDoneAsync(orphan!, running);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The queue id is what an administrator greps for: a message cut here (a reset, or the drain timeout
            // closing the socket at shutdown) stays queued at the MTA and comes back.
            if (session is { InMessage: true })
                logger.LogInformation("{Peer}: connection lost in the middle of message {QueueId}: {Error}", peerDescription, session.Context.QueueId, ex.Message);
            else if (answering is not null)
                logger.LogInformation("{Peer}: connection lost in the middle of message {QueueId} (its answer not sent): {Error}", peerDescription, answering, ex.Message);
            else
                logger.LogInformation("{Peer}: connection lost: {Error}", peerDescription, ex.Message);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "{Peer}: internal error; closing the connection", peerDescription);
        }
        finally
        {
            await onShutdown.DisposeAsync();
            if (session is not null)
            {
                try
                {
                    await session.DisposeAsync();
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "internal error while closing the session");
                }
            }
            await reader.CompleteAsync();
            idle.Dispose();
        }
    }

    /// <summary>
    /// Null when this protocol error's line is left out (more than <see cref="ProtocolErrorLinesPerMinute"/>); else the
    /// end of the line: empty, or how many were left out before it.
    /// </summary>
    private string? ProtocolErrorLine() =>
        !protocolErrorLines.TryWrite(out var leftOut) ? null
        : leftOut == 0 ? ""
        : $" ({leftOut} more protocol error(s) before this one not logged: at most {ProtocolErrorLinesPerMinute} lines a minute)";

    /// <summary>With inline socket completions (read once, as the runtime does): end of message goes to the pool.</summary>
    private static readonly bool OffloadEndOfMessage = Hosting.InlineSocketCompletions.InEffect;

    /// <summary>How long, at shutdown, a connection between messages may go without a command before it is closed.</summary>
    private static readonly TimeSpan ShutdownIdleGrace = TimeSpan.FromSeconds(2);

    private static readonly byte[] ProgressFrame = [0, 0, 0, 1, (byte)MilterResponse.Progress];

    /// <summary>
    /// End of message taking long: SMFIR_PROGRESS every <see cref="MilterOptions.ProgressInterval"/> until the
    /// plugins answer. The answer itself still leaves in one write after the last progress frame.
    /// </summary>
    /// <param name="queueId">
    /// Taken before end of message began, not from <paramref name="message"/> here: the plugins may finish on another
    /// thread at any moment, and the thread that finishes the message resets its state (macros included) while this
    /// one would be reading it — the verify benchmark lost a connection to "Index was out of range" that way.
    /// </param>
    private async Task<bool> KeepMtaWaitingAsync(ValueTask<bool> handling, Stream connection, Pipeline.MessageContext message, string queueId)
    {
        var work = handling.AsTask();
        while (true)
        {
            using var tick = new CancellationTokenSource();
            var delay = Task.Delay(Options.ProgressInterval, time, tick.Token);
            if (await Task.WhenAny(work, delay) == work)
            {
                tick.Cancel();
                return await work;
            }
            using var writeTimeout = new CancellationTokenSource(Options.ConnectionTimeout);
            try
            {
                await connection.WriteAsync(ProgressFrame, writeTimeout.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException
                || (e is OperationCanceledException && writeTimeout.IsCancellationRequested))
            {
                // The connection is gone while the plugins still work on the message: they are told (MessageAborted)
                // and waited for, at most WaitAfterLostConnection, before the session and its buffers are torn down
                // under them (an independent review saw AbortAsync and DisposeAsync run during EndOfMessageAsync).
                try
                {
                    if (message.CancelMessage() is { } failed)
                        logger.LogWarning("{QueueId}: a plugin's MessageAborted callback failed: {Error}", queueId, Pipeline.MessageContext.Describe(failed));
                }
                catch (ObjectDisposedException) { }
                var ended = await Task.WhenAny(work, Task.Delay(Options.WaitAfterLostConnection, time)) == work;
                var cause = e is OperationCanceledException ? new IOException($"the MTA did not take SMFIR_PROGRESS within {Options.ConnectionTimeout}", e) : e;
                throw new EndOfMessageCutException(queueId, cause, ended ? null : work);
            }
            logger.LogDebug("{QueueId}: end of message still in progress, sent SMFIR_PROGRESS", queueId);
        }
    }

    private async Task CloseWhenDoneAsync(MilterSession orphan, Task running)
    {
        try { await running.ConfigureAwait(false); } catch (Exception) { /* the plugin's failure was its chain's to log */ }
        try { await orphan.DisposeAsync().ConfigureAwait(false); }
        catch (Exception ex) { logger.LogError(ex, "internal error while closing the session"); }
    }

    /// <summary>The MTA went away while end of message was being worked on; carries the message's queue id.</summary>
    private sealed class EndOfMessageCutException(string queueId, Exception inner, Task? stillRunning)
        : IOException(inner.Message, inner)
    {
        public string QueueId { get; } = queueId;

        /// <summary>The plugins' work when it outlived the wait (the session must not be closed under it).</summary>
        public Task? StillRunning { get; } = stillRunning;
    }

    /// <summary>Reuses the timer source when it did not fire (the usual case).</summary>
    private static CancellationTokenSource Rearm(CancellationTokenSource idle)
    {
        if (idle.TryReset()) return idle;
        idle.Dispose();
        return new CancellationTokenSource();
    }

    private FilterChain CreateChain(PluginSet set, MessageContext context) =>
        new(set, context, chainLogger, DeadlineOf, time, metrics);

    /// <summary>The plugin's "&lt;Name&gt;:Timeout" of its configuration generation (read and checked with it).</summary>
    private static TimeSpan? DeadlineOf(LoadedPlugin plugin) => plugin.Deadline;

    /// <summary>Once per process and MTA shape: which actions the plugins need but the MTA does not offer.</summary>
    private void ReportMissingActions(NegotiatedProtocol negotiated)
    {
        if (negotiated.MissingActions == MilterActions.None) return;
        if (reportedMissing.TryAdd(((uint)negotiated.Offer.Actions, (uint)negotiated.MissingActions), 0))
            logger.LogWarning("the MTA does not offer {Missing} (offered actions 0x{Offered:x}); such modifications will be dropped",
                negotiated.MissingActions, (uint)negotiated.Offer.Actions);
    }
}
