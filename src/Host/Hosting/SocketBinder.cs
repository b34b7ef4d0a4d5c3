using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Milters.Host.Hosting;

/// <summary>Creates the listening socket for a <see cref="SocketSpec"/>, turning every failure into one clear line.</summary>
internal static partial class SocketBinder
{
    public static Socket Bind(ListenOptions options, ILogger logger)
    {
        var spec = options.Socket;
        return spec.Kind == SocketKind.Unix ? BindUnix(spec, options, logger) : BindTcp(spec, options);
    }

    private static Socket BindTcp(SocketSpec spec, ListenOptions options)
    {
        var endPoint = new IPEndPoint(ResolveHost(spec), spec.Port);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && spec.Kind == SocketKind.Inet6)
                socket.DualMode = false; // inet6 means IPv6; IPv4 MTAs use inet:
            socket.Bind(endPoint);
            // Linux copies TCP_NODELAY to every accepted socket: one setsockopt(2) here instead of one per
            // connection (MilterListener.Admit still sets it where the kernel does not inherit it).
            socket.NoDelay = true;
            socket.Listen(options.Backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new StartupException($"cannot listen on {spec.Text}: {Describe(e.SocketErrorCode, e.Message)}", e);
        }
    }

    /// <summary>Whether accepted TCP sockets inherit the listening socket's TCP_NODELAY (tcp_create_openreq_child copies it).</summary>
    public static bool AcceptedSocketsInheritNoDelay => OperatingSystem.IsLinux();

    private static IPAddress ResolveHost(SocketSpec spec)
    {
        if (spec.Host is null) return spec.Kind == SocketKind.Inet6 ? IPAddress.IPv6Any : IPAddress.Any;
        if (IPAddress.TryParse(spec.Host, out var address)) return address;
        var family = spec.Kind == SocketKind.Inet6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        try
        {
            // A host name ("localhost") is resolved once, here, by the system resolver, as libmilter does.
            var found = System.Net.Dns.GetHostAddresses(spec.Host, family);
            if (found.Length == 0) throw new StartupException($"cannot listen on {spec.Text}: {spec.Host} has no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address");
            return found[0];
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot listen on {spec.Text}: cannot resolve {spec.Host}: {e.Message}", e);
        }
    }

    private static Socket BindUnix(SocketSpec spec, ListenOptions options, ILogger logger)
    {
        var path = spec.Path!;
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            throw new StartupException($"cannot listen on {spec.Text}: directory {directory} does not exist");

        RemoveStaleSocket(spec, path, logger);

        var endPoint = new UnixDomainSocketEndPoint(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(endPoint);
            // Set the mode before listen() so no MTA connects through looser permissions in between.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, options.UnixSocketMode);
            socket.Listen(options.Backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new StartupException($"cannot listen on {spec.Text}: {Describe(e.SocketErrorCode, e.Message)}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new StartupException($"cannot listen on {spec.Text}: cannot set mode {Convert.ToString((int)options.UnixSocketMode, 8)}: {e.Message}", e);
        }
    }

    /// <summary>
    /// A socket file left by a filter that died is removed, but only if nothing answers on it: a second
    /// instance must not steal the socket of a running one.
    /// </summary>
    private static void RemoveStaleSocket(SocketSpec spec, string path, ILogger logger)
    {
        if (!File.Exists(path))
        {
            if (Directory.Exists(path)) throw new StartupException($"cannot listen on {spec.Text}: {path} is a directory");
            return;
        }

        if (IsRegularFile(path))
            throw new StartupException($"cannot listen on {spec.Text}: {path} exists and is not a socket (not removed)");

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new StartupException($"cannot listen on {spec.Text}: address already in use");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
            LogStaleRemoved(logger, path);
        }
        catch (SocketException e)
        {
            throw new StartupException($"cannot listen on {spec.Text}: cannot check the existing {path}: {e.Message}", e);
        }
    }

    /// <summary>open(2) succeeds on a regular file and fails with ENXIO on a socket, which .NET has no file-type query for.</summary>
    private static bool IsRegularFile(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return true;
        }
        catch (UnauthorizedAccessException) { return true; }
        catch (IOException) { return false; }
    }

    private static string Describe(SocketError error, string fallback) => error switch
    {
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "address not available on this machine",
        SocketError.AccessDenied => "permission denied",
        SocketError.AddressFamilyNotSupported => "address family not supported",
        _ => fallback.ToLowerInvariant(),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "removed stale socket file {Path}")]
    private static partial void LogStaleRemoved(ILogger logger, string path);
}
