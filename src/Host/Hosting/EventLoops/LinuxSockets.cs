using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;

namespace Milters.Host.Hosting.EventLoops;

/// <summary>
/// The few Linux calls the event loops make on their own (epoll, eventfd, accept4, recv, send, shutdown, close, setsockopt), on
/// raw descriptors: .NET's Socket registers every accepted socket with its own epoll threads, which is exactly what the
/// loops exist to avoid (docs/BENCHMARKS.md 0k).
/// </summary>
internal static class LinuxSockets
{
    public const int EpollCloexec = 0x80000, EpollCtlAdd = 1, EpollCtlDel = 2, EpollCtlMod = 3;
    public const uint EpollIn = 0x1, EpollOut = 0x4, EpollExclusive = 1u << 28, EpollOneShot = 1u << 30;
    public const int SockNonBlock = 0x800, SockCloexec = 0x80000, MsgNoSignal = 0x4000, ShutRdWr = 2;
    public const int EfdNonBlock = 0x800, EfdCloexec = 0x80000;
    public const int EAgain = 11, EIntr = 4, ConnAborted = 103;
    private const int IpProtoTcp = 6, TcpQuickAck = 12; // linux/tcp.h

    /// <summary>struct epoll_event, packed on x86-64 (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [DllImport("libc", SetLastError = true)] public static extern int epoll_create1(int flags);
    [DllImport("libc", SetLastError = true)] public static extern int epoll_ctl(int epfd, int op, int fd, ref EpollEvent ev);
    [DllImport("libc", SetLastError = true)] public static extern int epoll_wait(int epfd, ref EpollEvent events, int max, int timeout);
    [DllImport("libc", SetLastError = true)] public static extern int accept4(int fd, ref byte address, ref uint addressLength, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint recv(int fd, ref byte buffer, nint length, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint send(int fd, ref byte buffer, nint length, int flags);
    [DllImport("libc", SetLastError = true)] public static extern int shutdown(int fd, int how);
    [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] public static extern int eventfd(uint initialValue, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint write(int fd, ref ulong value, nint length);
    [DllImport("libc", SetLastError = true)] public static extern nint read(int fd, ref ulong value, nint length);
    [DllImport("libc", SetLastError = true)] private static extern int setsockopt(int fd, int level, int name, ref int value, uint length);
    [DllImport("libc", SetLastError = true)] private static extern int getsockopt(int fd, int level, int name, ref int value, ref uint length);

    /// <summary>TCP_NODELAY as the kernel has it (Linux copies it from the listener to each accepted socket).</summary>
    public static bool NoDelay(int fd)
    {
        int value = 0;
        var length = (uint)sizeof(int);
        return getsockopt(fd, IpProtoTcp, 1 /* TCP_NODELAY */, ref value, ref length) == 0 && value != 0;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", SetLastError = true)] private static extern int getrlimit(int resource, ref RLimit limit);

    /// <summary>RLIMIT_NOFILE as it stands (the runtime raises the soft limit to the hard one at start); null if unknown.</summary>
    public static ulong? DescriptorLimit()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var limit = new RLimit();
        return getrlimit(7 /* RLIMIT_NOFILE */, ref limit) == 0 ? limit.Current : null;
    }

    /// <summary>TCP_QUICKACK (not sticky: asked again after every unanswered read); false on a kernel without it.</summary>
    public static bool QuickAck(int fd)
    {
        var on = 1;
        return setsockopt(fd, IpProtoTcp, TcpQuickAck, ref on, sizeof(int)) == 0;
    }

    /// <summary>The peer of an accepted socket from accept4's sockaddr (AF_INET, AF_INET6); null for AF_UNIX.</summary>
    public static IPEndPoint? ToEndPoint(ReadOnlySpan<byte> address)
    {
        if (address.Length < 2) return null;
        var family = BinaryPrimitives.ReadUInt16LittleEndian(address);
        var port = address.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(address[2..]) : 0;
        return family switch
        {
            2 when address.Length >= 8 => new IPEndPoint(new IPAddress(address.Slice(4, 4)), port),
            10 when address.Length >= 24 => new IPEndPoint(new IPAddress(address.Slice(8, 16), address.Length >= 28 ? BinaryPrimitives.ReadUInt32LittleEndian(address[24..]) : 0), port),
            _ => null,
        };
    }
}
