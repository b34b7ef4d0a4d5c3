using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using static Milters.Host.Hosting.EventLoops.LinuxSockets;

namespace Milters.Host.Hosting.EventLoops;

/// <summary>
/// One thread with its own epoll set (Listen:EventLoops, one per core by default): it accepts from the shared listening
/// socket when it is free to (EPOLLEXCLUSIVE wakes one waiting loop per connection, so a busy loop leaves new
/// connections to an idle one) and runs each conversation it accepted on itself, from one command to the next and
/// through end of message — the model of a C milter with one single-threaded process per core, inside one process.
/// .NET's sockets instead give accepted sockets to their epoll threads in turn, whatever their load, and a signature
/// made there holds up that thread's other connections unless it is handed to the pool, which costs a thread wake-up
/// per message (docs/BENCHMARKS.md 0k: the loops use less CPU per message, serve more messages per second and have
/// the shorter tail at half load). Work a plugin awaits (DNS) resumes where its answer arrives, as before; the
/// conversation comes back to its loop at its next read that has to wait.
/// </summary>
internal sealed class EventLoop
{
    /// <summary>A listener readiness in the epoll data (connections carry their GCHandle, never 0).</summary>
    private const ulong ListenerToken = 0;

    /// <summary>The loop's own eventfd (a GCHandle is a pointer, never 1).</summary>
    private const ulong WakeToken = 1;
    private static readonly TimeSpan AcceptPause = TimeSpan.FromMilliseconds(100);

    private readonly int listenFd;
    private readonly int wakeFd;
    private readonly Lock wakeLock = new();
    private bool wakeClosed;
    private readonly bool tcp;
    private readonly Func<LoopConnection, System.Net.IPEndPoint?, bool> admit;
    private readonly ILogger logger;
    private readonly ConcurrentQueue<LoopConnection> closed = new();
    private readonly ConcurrentQueue<LoopConnection> yielded = new();
    private readonly Thread thread;
    private readonly TaskCompletionSource stoppedAccepting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool accepting = true;
    private volatile bool running = true;
    private bool listening;
    private long resumeAcceptAt;
    private long lastAcceptFailureLog;
    private int failedAccepts;

    /// <param name="admit">Called on the loop's thread for each accepted connection with its peer; false: refused (closed).</param>
    public EventLoop(int listenFd, bool tcp, string name, Func<LoopConnection, System.Net.IPEndPoint?, bool> admit, ILogger logger)
    {
        this.listenFd = listenFd;
        this.tcp = tcp;
        this.admit = admit;
        this.logger = logger;
        Epoll = epoll_create1(EpollCloexec);
        if (Epoll < 0) throw new StartupException($"Listen:EventLoops: epoll_create1: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(LastError)}");
        // Stop and shutdown reach an idle loop at once instead of at the end of its wait: until every loop has let go of
        // the listener it stays open, and connections queued in its backlog meanwhile were reset when it closed.
        wakeFd = eventfd(0, EfdNonBlock | EfdCloexec);
        var wake = new EpollEvent { Events = EpollIn, Data = WakeToken };
        if (wakeFd < 0 || epoll_ctl(Epoll, EpollCtlAdd, wakeFd, ref wake) != 0)
        {
            var error = System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(LastError);
            if (wakeFd >= 0) close(wakeFd);
            close(Epoll);
            throw new StartupException($"Listen:EventLoops: eventfd: {error}");
        }
        thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    public int Epoll { get; }

    /// <summary>
    /// How long one connection may keep its loop before its next read waits in line. Reads are tried at once, so a
    /// connection whose MTA always has the next command ready would otherwise never give the loop back: at saturation
    /// on persistent connections one waited 426–716 ms for its end-of-message reply while the others ran (p99 16–48 ms;
    /// 8.61–9.23 ms max with this budget, CPU per message the same within the noise; docs/BENCHMARKS.md 0n). About one
    /// signature: the expensive step ends a turn, cheap commands stay on the fast path.
    /// </summary>
    internal static readonly long TurnBudget = System.Diagnostics.Stopwatch.Frequency / 2000; // 500 µs
    private long turnStarted;

    /// <summary>The loop whose thread this is (null elsewhere).</summary>
    [ThreadStatic] private static EventLoop? current;

    /// <summary>
    /// True on a loop's thread once the conversation running there has had its share of this turn: its next read then
    /// waits in line behind the connections already ready instead of being tried at once. The thread's loop, not the
    /// connection's: a connection handed to another loop at accept starts on the accepting loop's thread, and one that
    /// never ran dry kept that thread from its own connections for seconds (an independent review: 8–11 s).
    /// </summary>
    public static bool TurnIsOver => current is { } loop && System.Diagnostics.Stopwatch.GetTimestamp() - loop.turnStarted > TurnBudget;

    /// <summary>
    /// epoll_ctl on this loop's set; false with the error once it failed, or once the loop has stopped and closed the set
    /// (EBADF): a conversation that outlives the drain must not touch a descriptor number that may have been reused since.
    /// </summary>
    public bool TryControl(int operation, int fd, ref EpollEvent ev, out int error)
    {
        lock (epollLock)
        {
            if (epollClosed)
            {
                error = 9; // EBADF
                return false;
            }
            var failed = epoll_ctl(Epoll, operation, fd, ref ev) != 0;
            error = failed ? LastError : 0;
            return !failed;
        }
    }

    private readonly Lock epollLock = new();
    private bool epollClosed;

    /// <summary>Connections this loop serves now.</summary>
    public int Connections => Volatile.Read(ref connections);

    private int connections;

    /// <summary>All the loops of the listener (set before they start): a new connection goes to the one serving fewest.</summary>
    public EventLoop[] Group { get; set; } = [];

    /// <summary>
    /// This loop, unless another serves at least two connections fewer. Which loop accepts is the kernel's choice (a
    /// free one), and on persistent connections that alone is not enough: eight connections opened at once were all
    /// accepted by one loop and stayed there, one core doing the work of two. Moving every connection to the loop with
    /// the fewest cost a thread wake-up per connection, which is what the loops are for avoiding.
    /// </summary>
    private EventLoop LeastBusy()
    {
        var best = this;
        foreach (var loop in Group)
            if (loop.Connections < best.Connections) best = loop;
        return best.Connections + 2 <= Connections ? best : this;
    }

    public void Start()
    {
        Listen();
        thread.Start();
    }

    /// <summary>No more connections (shutdown); the ones it serves go on. Completes once the loop has let go of the listener.</summary>
    public Task StopAcceptingAsync()
    {
        accepting = false;
        Wake();
        return stoppedAccepting.Task;
    }

    /// <summary>After the drain: the thread ends.</summary>
    public void Stop()
    {
        running = false;
        Wake();
    }

    /// <summary>Queues a conversation that gave up its turn; the loop resumes it after the connections ready now.</summary>
    public void Post(LoopConnection connection)
    {
        yielded.Enqueue(connection);
        Wake();
    }

    /// <summary>Under the lock the loop closes the eventfd with: a write after the close could land on a reused descriptor.</summary>
    private void Wake()
    {
        lock (wakeLock)
        {
            if (wakeClosed) return;
            ulong one = 1;
            write(wakeFd, ref one, sizeof(ulong));
        }
    }

    /// <summary>A connection closed (any thread): its handle is freed by the loop once no readiness of it can be in hand.</summary>
    public void Forget(LoopConnection connection)
    {
        Interlocked.Decrement(ref connections);
        closed.Enqueue(connection);
    }

    private void Listen()
    {
        var ev = new EpollEvent { Events = EpollIn | EpollExclusive, Data = ListenerToken };
        if (epoll_ctl(Epoll, EpollCtlAdd, listenFd, ref ev) != 0)
            throw new StartupException($"Listen:EventLoops: epoll_ctl on the listening socket: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(LastError)}");
        listening = true;
    }

    private void Unlisten()
    {
        var ev = new EpollEvent();
        epoll_ctl(Epoll, EpollCtlDel, listenFd, ref ev);
        listening = false;
    }

    private void Run()
    {
        current = this;
        var events = new EpollEvent[128];
        while (running)
        {
            if (!accepting)
            {
                if (listening) Unlisten();
                stoppedAccepting.TrySetResult();
            }
            if (!listening && accepting && resumeAcceptAt != 0 && Environment.TickCount64 >= resumeAcceptAt)
            {
                resumeAcceptAt = 0;
                try { Listen(); }
                catch (StartupException e)
                {
                    // Never let the thread die: its connections, and the shutdown waiting for it, depend on it.
                    logger.LogWarning("{Error}; trying again in {Pause} ms", e.Message, AcceptPause.TotalMilliseconds);
                    resumeAcceptAt = Environment.TickCount64 + (long)AcceptPause.TotalMilliseconds;
                }
            }
            var n = epoll_wait(Epoll, ref events[0], events.Length, resumeAcceptAt != 0 ? (int)AcceptPause.TotalMilliseconds : 500);
            for (var i = 0; i < n; i++)
            {
                turnStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    if (events[i].Data == ListenerToken)
                    {
                        if (accepting) AcceptAll();
                    }
                    else if (events[i].Data == WakeToken)
                    {
                        ulong count = 0;
                        read(wakeFd, ref count, sizeof(ulong));
                        // Conversations that gave up their turn: the connections ready before them came first in this batch.
                        for (var waiting = yielded.Count; waiting > 0 && yielded.TryDequeue(out var next); waiting--)
                        {
                            turnStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                            next.OnTurn();
                        }
                    }
                    else
                    {
                        LoopConnection.FromToken(events[i].Data).OnReady();
                    }
                }
                catch (Exception e)
                {
                    // Our bug, in one conversation's continuation: the loop serves its other connections on.
                    logger.LogError(e, "event loop: internal error");
                }
            }
            // Every readiness of this batch has been handled: connections closed until now cannot appear again.
            while (closed.TryDequeue(out var gone)) gone.FreeHandle();
        }
        stoppedAccepting.TrySetResult();
        while (closed.TryDequeue(out var gone)) gone.FreeHandle();
        lock (epollLock)
        {
            epollClosed = true;
            close(Epoll);
        }
        // Conversations still waiting for a turn after the drain: resumed, their next wait fails and they end.
        while (yielded.TryDequeue(out var late)) late.OnTurn();
        lock (wakeLock)
        {
            wakeClosed = true;
            close(wakeFd);
        }
    }

    private void AcceptAll()
    {
        Span<byte> address = stackalloc byte[128];
        while (true)
        {
            var length = (uint)address.Length;
            var fd = accept4(listenFd, ref address[0], ref length, SockNonBlock | SockCloexec);
            if (fd < 0)
            {
                var error = LastError;
                if (error == EAgain) return;
                if (error is EIntr or ConnAborted) continue; // the client gave up before we took it
                // EMFILE and friends: the listener stays readable, so stop watching it for a moment rather than spin.
                // One line per loop per 10 s with the count: under descriptor exhaustion this repeats every pause.
                failedAccepts++;
                var now = Environment.TickCount64;
                if (lastAcceptFailureLog == 0 || now - lastAcceptFailureLog >= 10_000)
                {
                    logger.LogWarning("accept failed: {Error} ({Count} time(s) since the last such line); pausing {Pause} ms each time",
                        System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(error), failedAccepts, AcceptPause.TotalMilliseconds);
                    lastAcceptFailureLog = now;
                    failedAccepts = 0;
                }
                Unlisten();
                resumeAcceptAt = Environment.TickCount64 + (long)AcceptPause.TotalMilliseconds;
                return;
            }
            var loop = LeastBusy();
            Interlocked.Increment(ref loop.connections);
            var connection = new LoopConnection(fd, loop, tcp);
            var peer = tcp ? ToEndPoint(address[..(int)Math.Min(length, (uint)address.Length)]) : null;
            if (!admit(connection, peer)) connection.Dispose();
        }
    }
}
