using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Milters.Host.Milter;
using static Milters.Host.Hosting.EventLoops.LinuxSockets;

namespace Milters.Host.Hosting.EventLoops;

/// <summary>
/// One accepted connection of an <see cref="EventLoop"/>, as the Stream the milter handler reads and writes. A read or
/// write is tried at once (a read only while the turn lasts, <see cref="EventLoop.TurnIsOver"/>); only when
/// the kernel has nothing (EAGAIN) does it wait, armed one-shot in its loop's epoll set, and the loop finishes it on its own thread — so a conversation runs on its loop from one command to the next,
/// end of message included, without waking another thread. The handler has one operation outstanding at a time; the
/// lock orders it against cancellation (idle time-out, shutdown) and <see cref="Abort"/>, which come from other threads.
/// </summary>
internal sealed class LoopConnection : Stream, IAcknowledgeNow, IRunsOnItsEventLoop, IValueTaskSource<int>, IValueTaskSource
{
    private enum Pending { None, Read, Write, Yield }

    private readonly int fd;
    private readonly EventLoop loop;
    private readonly bool tcp;
    private readonly object gate = new();
    private GCHandle self;
    private bool armedBefore;
    private bool closed;
    private Pending pending;
    private Memory<byte> readBuffer;
    private ReadOnlyMemory<byte> writeLeft;
    private CancellationTokenRegistration cancellation;
    private long operations;
    private bool completing;
    private bool cancelledWhileCompleting;
    private CancellationToken cancelledBy;
    private ManualResetValueTaskSourceCore<int> core;

    public LoopConnection(int fd, EventLoop loop, bool tcp)
    {
        this.fd = fd;
        this.loop = loop;
        this.tcp = tcp;
        self = GCHandle.Alloc(this);
    }

    /// <summary>What the loop's epoll set carries for this connection (a GCHandle, freed at close).</summary>
    public ulong Token => (ulong)GCHandle.ToIntPtr(self);

    public static LoopConnection FromToken(ulong token) => (LoopConnection)GCHandle.FromIntPtr((nint)token).Target!;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        if (!EventLoop.TurnIsOver)
        {
            var n = recv(fd, ref MemoryMarshal.GetReference(buffer.Span), buffer.Length, 0);
            if (n >= 0) return new ValueTask<int>((int)n);
            var error = LastError;
            if (error is not (EAgain or EIntr)) return ValueTask.FromException<int>(Failure("recv", error));
        }
        readBuffer = buffer;
        return Wait(Pending.Read, cancellationToken) is { } failed ? ValueTask.FromException<int>(failed) : new ValueTask<int>(this, core.Version);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            var n = send(fd, ref MemoryMarshal.GetReference(buffer.Span), buffer.Length, MsgNoSignal);
            if (n > 0) { buffer = buffer[(int)n..]; continue; }
            var error = LastError;
            if (error == EIntr) continue;
            if (error != EAgain) return ValueTask.FromException(Failure("send", error));
            // The MTA is not reading (its buffer is full): wait for room without holding up the loop.
            writeLeft = buffer;
            return Wait(Pending.Write, cancellationToken) is { } failed ? ValueTask.FromException(failed) : new ValueTask(this, core.Version);
        }
        return ValueTask.CompletedTask;
    }

    private Exception? Wait(Pending what, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (closed) return new ObjectDisposedException(nameof(LoopConnection));
            core.Reset();
            pending = what;
            // May run Cancel at once (the token is cancelled already): the lock is re-entered and nothing is armed.
            // The operation's number goes with its registration: a time-out of an earlier operation whose callback
            // comes late must not cancel this one (an independent review, from reading the code).
            var operation = ++operations;
            if (cancellationToken.CanBeCanceled)
                cancellation = cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var (connection, operation) = ((LoopConnection, long))state!;
                    connection.Cancel(operation, token);
                }, (this, operation));
            if (pending == what) Arm(what == Pending.Read ? EpollIn : EpollOut);
            return null;
        }
    }

    /// <summary>The loop saw the descriptor ready: go on with what waits (on the loop's thread).</summary>
    public void OnReady()
    {
        Pending what;
        lock (gate)
        {
            what = pending;
            if (what == Pending.None) return; // cancelled meanwhile: the readiness stays for the next operation to find
            completing = true;
        }
        var (done, result, failure) = what == Pending.Read ? TryRead() : TryWrite();
        CancellationTokenRegistration registration;
        lock (gate)
        {
            completing = false;
            if (!done)
            {
                if (cancelledWhileCompleting) { cancelledWhileCompleting = false; pending = Pending.None; QueueCancellation(cancelledBy); }
                else if (closed) { pending = Pending.None; core.SetException(new ObjectDisposedException(nameof(LoopConnection))); }
                else Arm(what == Pending.Read ? EpollIn : EpollOut);
                return;
            }
            cancelledWhileCompleting = false;
            pending = Pending.None;
            registration = cancellation;
            cancellation = default;
        }
        registration.Unregister();
        readBuffer = default;
        writeLeft = default;
        if (failure is not null) core.SetException(failure);
        else core.SetResult(result);
    }

    private (bool Done, int Result, Exception? Failure) TryRead()
    {
        var n = recv(fd, ref MemoryMarshal.GetReference(readBuffer.Span), readBuffer.Length, 0);
        if (n >= 0) return (true, (int)n, null);
        var error = LastError;
        return error is EAgain or EIntr ? (false, 0, null) : (true, 0, Failure("recv", error));
    }

    private (bool Done, int Result, Exception? Failure) TryWrite()
    {
        while (writeLeft.Length > 0)
        {
            var n = send(fd, ref MemoryMarshal.GetReference(writeLeft.Span), writeLeft.Length, MsgNoSignal);
            if (n > 0) { writeLeft = writeLeft[(int)n..]; continue; }
            var error = LastError;
            if (error == EIntr) continue;
            return error == EAgain ? (false, 0, null) : (true, 0, Failure("send", error));
        }
        return (true, 0, null);
    }

    /// <summary>One-shot: the loop is told once, and only while something waits (under the lock).</summary>
    private void Arm(uint events)
    {
        var ev = new EpollEvent { Events = events | EpollOneShot, Data = Token };
        if (!loop.TryControl(armedBefore ? EpollCtlMod : EpollCtlAdd, fd, ref ev, out var error))
        {
            pending = Pending.None;
            core.SetException(Failure("epoll_ctl", error));
            return;
        }
        armedBefore = true;
    }

    /// <summary>The idle time-out or shutdown: the waiting operation ends with OperationCanceledException.</summary>
    private void Cancel(long operation, CancellationToken token)
    {
        lock (gate)
        {
            if (pending == Pending.None || operation != operations) return;
            if (completing) { cancelledWhileCompleting = true; cancelledBy = token; return; }
            pending = Pending.None;
            cancellation = default;
            QueueCancellation(token);
        }
    }

    /// <summary>On the pool: the handler's continuation must not run on the timer's thread, nor inside the lock.</summary>
    private void QueueCancellation(CancellationToken token)
    {
        readBuffer = default;
        writeLeft = default;
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.This.EndCancelled(s.Token), (This: this, Token: token), preferLocal: false);
    }

    private void EndCancelled(CancellationToken token) => core.SetException(new OperationCanceledException(token));

    /// <summary>From another thread (the drain time-out): shutdown(2) both ways; the conversation sees EOF or an error and ends itself.</summary>
    public void Abort()
    {
        lock (gate)
        {
            if (!closed) shutdown(fd, ShutRdWr);
        }
    }

    /// <summary>TCP_NODELAY of the accepted socket (tests).</summary>
    internal bool NoDelay => tcp && LinuxSockets.NoDelay(fd);

    public bool TurnIsOver => EventLoop.TurnIsOver;

    public ValueTask YieldTurnAsync()
    {
        lock (gate)
        {
            if (closed) return ValueTask.FromException(new ObjectDisposedException(nameof(LoopConnection)));
            core.Reset();
            pending = Pending.Yield;
        }
        loop.Post(this);
        return new ValueTask(this, core.Version);
    }

    /// <summary>The loop's turn came round again (on the loop's thread).</summary>
    public void OnTurn()
    {
        lock (gate)
        {
            if (pending != Pending.Yield) return;
            pending = Pending.None;
        }
        core.SetResult(0);
    }

    public void AcknowledgeNow()
    {
        if (tcp) QuickAck(fd);
    }

    private static IOException Failure(string call, int error) => new($"{call}: {Marshal.GetPInvokeErrorMessage(error)}");

    int IValueTaskSource<int>.GetResult(short token) => core.GetResult(token);
    void IValueTaskSource.GetResult(short token) => core.GetResult(token);
    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => core.GetStatus(token);
    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => core.GetStatus(token);
    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);

    protected override void Dispose(bool disposing)
    {
        lock (gate)
        {
            if (closed) return;
            closed = true;
            pending = Pending.None;
            // close(2) also takes the descriptor out of the loop's epoll set; the handle goes after it, so a
            // readiness reported before the close still finds its connection (and nothing pending).
            close(fd);
        }
        loop.Forget(this);
        base.Dispose(disposing);
    }

    /// <summary>Called by the loop once no event for this connection can be in its hands any more.</summary>
    public void FreeHandle()
    {
        if (self.IsAllocated) self.Free();
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
