using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Milters.Host.Milter;
using Milters.Host.Plugins;

namespace Milters.Host.Hosting;

/// <summary>
/// Accepts MTA connections on the configured socket and hands each to the milter protocol handler.
/// <see cref="Bind"/> runs before the host starts (so "address already in use" is a clean start-up error
/// and privileges can be dropped after it). On shutdown: stop accepting, let conversations finish the
/// message in flight (bounded by Listen:DrainTimeout), then close what is left.
/// </summary>
public sealed partial class MilterListener : BackgroundService
{
    private readonly ListenOptions options;
    private readonly IServiceProvider services;
    private IMilterConnectionHandler? handler;
    private readonly ILogger<MilterListener> logger;
    private readonly ConcurrentDictionary<long, Connection> connections = new();
    private Socket? listenSocket;
    private long nextId;
    private long refusedSinceLog;
    private long lastRefusalLog; // Environment.TickCount64 of the last line; 0: none yet

    /// <summary>At most one "MaxConnections hit" line per this interval, with the count refused since the last.</summary>
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);

    /// <summary>Where a reload's Listen:AllowedClients and Listen:MaxConnections come from; null: the start's for good.</summary>
    private readonly PluginSetProvider? generations;

    /// <summary>The handler is resolved after <see cref="Bind"/>, so "address already in use" is reported first.</summary>
    public MilterListener(ListenOptions options, IServiceProvider services, ILogger<MilterListener> logger, PluginSetProvider? generations = null)
    {
        this.options = options;
        this.services = services;
        this.logger = logger;
        this.generations = generations;
    }

    /// <summary>
    /// Who may connect and how many at once follow a reload (an administrator adding an MTA, or taking one away,
    /// expects SIGHUP to do it); the socket and the rest of Listen stay as bound at start.
    /// </summary>
    private ListenOptions Admission => generations?.Generation.Listen ?? options;

    /// <summary>
    /// Descriptors the process keeps for itself beyond the MTA connections (the runtime, its libraries, DNS, the log):
    /// ~210 at start here. Out of descriptors, the runtime aborts the whole process (an independent review: `ulimit -n
    /// 1024` and 900 connections held open, exit 134), so connections are refused before that point instead.
    /// </summary>
    private const int ReservedDescriptors = 256;

    /// <summary>The most connections the descriptor limit leaves room for (int.MaxValue: no limit known).</summary>
    private static readonly int DescriptorRoom = EventLoops.LinuxSockets.DescriptorLimit() is { } limit
        ? (int)Math.Clamp((long)Math.Min(limit, int.MaxValue) - ReservedDescriptors, 1, int.MaxValue) : int.MaxValue;

    /// <summary>The bound endpoint (the real port when the spec asked for one chosen by the system).</summary>
    public EndPoint? LocalEndPoint => listenSocket?.LocalEndPoint;

    public int ActiveConnections => connections.Count;

    private sealed class Connection(Action abort)
    {
        /// <summary>Ends the connection from outside (the drain time-out): the conversation sees EOF or an error.</summary>
        public Action Abort { get; } = abort;
        public Task Task { get; set; } = Task.CompletedTask;
    }

    /// <summary>Creates and binds the listening socket; a failure is a <see cref="StartupException"/> in one line.</summary>
    public void Bind()
    {
        if (listenSocket is not null) return;
        listenSocket = SocketBinder.Bind(options, logger);
        if (options.MaxConnections > DescriptorRoom)
            LogDescriptorLimit(options.MaxConnections, DescriptorRoom + ReservedDescriptors, DescriptorRoom);
        if (options.Socket.IsTcp && !options.AllowedClients.IsExplicit && listenSocket.LocalEndPoint is IPEndPoint ep && !IPAddress.IsLoopback(ep.Address))
            LogOpenWithoutAllowList(options.Socket.Text);
        var where = options.Socket.IsTcp && options.Socket.Port == 0 ? $"{options.Socket.Text} (port {((IPEndPoint)listenSocket.LocalEndPoint!).Port})" : options.Socket.Text;
        LogListening(where, options.Socket.IsTcp ? options.AllowedClients.ToString() : "(unix socket: file permissions)");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Bind();
        handler ??= services.GetRequiredService<IMilterConnectionHandler>();
        var socket = listenSocket!;
        if (options.EventLoops > 0)
        {
            await ServeOnEventLoopsAsync(socket, stoppingToken).ConfigureAwait(false);
            return;
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
                    accepted = await socket.AcceptAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) { break; }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
                {
                    continue; // the client gave up before we accepted it
                }
                catch (SocketException e)
                {
                    // EMFILE and friends: log, breathe, go on rather than die.
                    LogAcceptFailed(e.Message);
                    await Task.Delay(100, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                Admit(accepted, stoppingToken);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            socket.Dispose();
            if (options.Socket.Kind == SocketKind.Unix) TryDeleteSocketFile(options.Socket.Path!);
        }

        await DrainAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Listen:EventLoops: our own epoll loops accept and serve the connections (EventLoops/EventLoop.cs); shutdown stops
    /// them accepting, closes the listener and drains as the accept loop below does.
    /// </summary>
    private async Task ServeOnEventLoopsAsync(Socket socket, CancellationToken stoppingToken)
    {
        socket.Blocking = false; // accept4 answers EAGAIN once the backlog is empty
        var loops = new EventLoops.EventLoop[options.EventLoops];
        for (var i = 0; i < loops.Length; i++)
            loops[i] = new EventLoops.EventLoop((int)socket.Handle, options.Socket.IsTcp, $"milters loop {i}",
                (connection, remote) => AdmitOnLoop(connection, remote, stoppingToken), logger);
        foreach (var loop in loops) loop.Group = loops;
        foreach (var loop in loops) loop.Start();
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) { }
        // The listener is closed only once no loop can call accept4 on its descriptor any more.
        await Task.WhenAll(loops.Select(l => l.StopAcceptingAsync())).ConfigureAwait(false);
        socket.Dispose();
        if (options.Socket.Kind == SocketKind.Unix) TryDeleteSocketFile(options.Socket.Path!);
        await DrainAsync().ConfigureAwait(false);
        foreach (var loop in loops) loop.Stop();
    }

    private bool AdmitOnLoop(EventLoops.LoopConnection accepted, IPEndPoint? remote, CancellationToken stoppingToken)
    {
        if (!TryAdmit(remote, out var peer)) return false;
        var id = Interlocked.Increment(ref nextId);
        var connection = new Connection(accepted.Abort);
        connections[id] = connection;
        connection.Task = ConverseAsync(accepted, accepted, id, peer, stoppingToken);
        return true;
    }

    /// <summary>Listen:AllowedClients and MaxConnections (of the current generation), with their log lines; the peer as logged.</summary>
    private bool TryAdmit(IPEndPoint? remote, out string peer)
    {
        var admission = Admission;
        if (options.Socket.IsTcp)
        {
            if (remote is null)
            {
                // A TCP peer without an address we can read cannot be checked against Listen:AllowedClients.
                LogRefused("(unknown address)", options.Socket.Text);
                peer = "(unknown address)";
                return false;
            }
            var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            peer = remote.AddressFamily == AddressFamily.InterNetworkV6 && !remote.Address.IsIPv4MappedToIPv6 ? $"[{address}]:{remote.Port}" : $"{address}:{remote.Port}";
            if (!admission.AllowedClients.Allows(remote.Address))
            {
                LogRefused(peer, options.Socket.Text);
                return false;
            }
        }
        else
        {
            peer = options.Socket.Text;
        }

        // Resource bound: each conversation holds a socket, buffers and plugin state. Closing at once lets the
        // MTA apply its failure action (Postfix milter_default_action, Sendmail F=) instead of queueing on us.
        var max = Math.Min(admission.MaxConnections, DescriptorRoom);
        if (connections.Count >= max)
        {
            // Under sustained overload a slot frees and fills again many times a second: one line per interval with
            // the count, not one per freed slot (4,227 lines in 10 s before).
            var refused = Interlocked.Increment(ref refusedSinceLog);
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref lastRefusalLog);
            if ((last == 0 || now - last >= (long)RefusalLogInterval.TotalMilliseconds) && Interlocked.CompareExchange(ref lastRefusalLog, now, last) == last)
            {
                Interlocked.Add(ref refusedSinceLog, -refused);
                LogTooManyConnections(peer, max, refused);
            }
            return false;
        }
        return true;
    }

    private void Admit(Socket accepted, CancellationToken stoppingToken)
    {
        if (!TryAdmit(options.Socket.IsTcp ? (IPEndPoint)accepted.RemoteEndPoint! : null, out var peer))
        {
            accepted.Dispose();
            return;
        }
        // Everything answering one command leaves in one write; without NODELAY, Nagle + delayed ACK
        // would hold the end-of-message reply back ~40 ms (libmilter's well-known loss). On Linux the
        // socket has it from the listener already (SocketBinder).
        if (options.Socket.IsTcp && !SocketBinder.AcceptedSocketsInheritNoDelay) accepted.NoDelay = true;

        var id = Interlocked.Increment(ref nextId);
        var connection = new Connection(() =>
        {
            try { accepted.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            accepted.Dispose();
        });
        connections[id] = connection;
        // Started here rather than through Task.Run: the conversation runs on this thread until its first read
        // waits (usually at once: the MTA has sent nothing yet, or only its option negotiation), which saves a
        // thread-pool hand-off per connection; an MTA that never lets a read wait has this thread for one turn
        // (Milter/ThreadTurn.cs), not until it stops writing. Registered first, so its own removal cannot come before it.
        // The stream does not own the socket: closing it without shutdown(2) first sends the same FIN with one
        // system call fewer per connection.
        Stream stream = options.Socket.IsTcp ? new QuickAckNetworkStream(accepted) : new NetworkStream(accepted, ownsSocket: false);
        connection.Task = ConverseAsync(stream, accepted, id, peer, stoppingToken);
    }

    /// <param name="owner">Closed when the conversation ends (the socket, or the event loop's connection itself).</param>
    private async Task ConverseAsync(Stream stream, IDisposable owner, long id, string peer, CancellationToken stoppingToken)
    {
        try
        {
            await using (stream)
                await handler!.HandleAsync(stream, peer, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            LogConnectionLost(peer, e.Message);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            // The handler promises not to throw for peer errors; anything else is our bug. Keep serving.
            LogHandlerFailed(e, peer);
        }
        finally
        {
            owner.Dispose();
            connections.TryRemove(id, out _);
        }
    }

    private async Task DrainAsync()
    {
        var pending = connections.Values.ToArray();
        if (pending.Length == 0) return;
        LogDraining(pending.Length, options.DrainTimeout);
        var all = Task.WhenAll(pending.Select(c => c.Task));
        if (await Task.WhenAny(all, Task.Delay(options.DrainTimeout)).ConfigureAwait(false) == all) return;

        var left = connections.Values.ToArray();
        LogDrainTimedOut(left.Length);
        foreach (var c in left) c.Abort();
        await Task.WhenAny(Task.WhenAll(left.Select(c => c.Task)), Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
    }

    private void TryDeleteSocketFile(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { LogSocketFileNotRemoved(path, e.Message); }
    }

    public override void Dispose()
    {
        listenSocket?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listen:MaxConnections is {Max}, but this process may open only {Limit} descriptors (ulimit -n; LimitNOFILE= in a systemd unit): at most {Room} connections are served at once")]
    private partial void LogDescriptorLimit(int max, long limit, int room);

    [LoggerMessage(Level = LogLevel.Information, Message = "listening on {Socket}; allowed clients: {Allowed}")]
    private partial void LogListening(string socket, string allowed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "listening on {Socket}, a non-loopback address, but Listen:AllowedClients is not set: only loopback clients (127.0.0.0/8, ::1) will be served; list your MTAs' addresses there")]
    private partial void LogOpenWithoutAllowList(string socket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused connection from {Peer} on {Socket}: not in Listen:AllowedClients")]
    private partial void LogRefused(string peer, string socket);

    [LoggerMessage(Level = LogLevel.Warning, Message = "limit Listen:MaxConnections hit: {Max} connections open; closed {Refused} connection(s) since the last such line, the latest from {Peer}; more are closed until one ends (the MTA applies its failure action)")]
    private partial void LogTooManyConnections(string peer, int max, long refused);

    [LoggerMessage(Level = LogLevel.Error, Message = "accept failed: {Error}")]
    private partial void LogAcceptFailed(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "connection from {Peer} lost: {Error}")]
    private partial void LogConnectionLost(string peer, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "connection from {Peer}: unexpected failure in the milter handler")]
    private partial void LogHandlerFailed(Exception e, string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopped accepting; waiting up to {Timeout} for {Count} connection(s) to finish")]
    private partial void LogDraining(int count, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} connection(s) still busy after the drain timeout: closing them (each message cut is logged with its queue id; the MTA keeps it and retries)")]
    private partial void LogDrainTimedOut(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove socket file {Path}: {Error}")]
    private partial void LogSocketFileNotRemoved(string path, string error);
}
