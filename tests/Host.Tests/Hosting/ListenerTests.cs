using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Host.Hosting;
using Milters.Host.Milter;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ListenerTests : IDisposable
{
    private readonly TempDir dir = new("hlis");
    private readonly CapturingLoggerProvider logs = new();
    private readonly RecordingHandler handler = new();

    public void Dispose() => dir.Dispose();

    /// <summary>Listen:EventLoops of the listener under test: 0 is .NET's sockets; <see cref="ListenerOnEventLoopsTests"/> runs every test on two loops.</summary>
    protected virtual int EventLoops => 0;

    /// <summary>Greets with "hello PEER\n", then waits for EOF or shutdown; on shutdown finishes with "bye\n".</summary>
    private sealed class RecordingHandler : IMilterConnectionHandler
    {
        public ConcurrentBag<string> Peers { get; } = new();
        public ConcurrentBag<bool> NoDelay { get; } = new();
        public int Active;
        public int MaxActive;
        public bool IgnoreShutdown { get; set; }

        public async Task HandleAsync(Stream connection, string peerDescription, CancellationToken shutdown)
        {
            var now = Interlocked.Increment(ref Active);
            InterlockedMax(ref MaxActive, now);
            try
            {
                Peers.Add(peerDescription);
                if (connection is NetworkStream ns && ns.Socket.ProtocolType == ProtocolType.Tcp) NoDelay.Add(ns.Socket.NoDelay);
                if (connection is Milters.Host.Hosting.EventLoops.LoopConnection loop && peerDescription.Contains(':')) NoDelay.Add(loop.NoDelay);
                await connection.WriteAsync(Encoding.ASCII.GetBytes($"hello {peerDescription}\n"));
                var buffer = new byte[16];
                var read = connection.ReadAsync(buffer).AsTask();
                var stop = Task.Delay(Timeout.Infinite, IgnoreShutdown ? CancellationToken.None : shutdown);
                if (await Task.WhenAny(read, stop) == stop)
                {
                    await Task.Delay(100); // "the message in flight"
                    await connection.WriteAsync("bye\n"u8.ToArray());
                }
            }
            finally
            {
                Interlocked.Decrement(ref Active);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
        }
    }

    private MilterListener Listener(SocketSpec spec, ClientAllowList? allow = null, UnixFileMode mode = (UnixFileMode)0x1B0, TimeSpan? drain = null)
    {
        var services = new ServiceCollection().AddSingleton<IMilterConnectionHandler>(handler).BuildServiceProvider();
        var options = new ListenOptions(spec, mode, allow ?? ClientAllowList.LoopbackOnly, 64, drain ?? TimeSpan.FromSeconds(10)) { EventLoops = EventLoops };
        return new MilterListener(options, services, logs.CreateLogger<MilterListener>());
    }

    private static SocketSpec AnyPort(string host = "127.0.0.1") => new(SocketKind.Inet, host, 0, null, $"inet:0@{host}");

    private static async Task<string> ReadLineAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[1];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0) return text.Length == 0 ? "<EOF>" : text.ToString();
            if (buffer[0] == '\n') return text.ToString();
            text.Append((char)buffer[0]);
        }
    }

    private static async Task<Socket> ConnectTcp(EndPoint server, IPAddress? from = null)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null) s.Bind(new IPEndPoint(from, 0));
        await s.ConnectAsync(server);
        return s;
    }

    [Fact]
    public async Task Serves_allowed_client_with_tcp_nodelay()
    {
        var listener = Listener(AnyPort());
        listener.Bind();
        await listener.StartAsync(CancellationToken.None);
        try
        {
            using var client = await ConnectTcp(listener.LocalEndPoint!);
            var line = await ReadLineAsync(client);
            Assert.StartsWith("hello 127.0.0.1:", line);
            Assert.Equal([true], handler.NoDelay.ToArray());
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Client_outside_the_allow_list_is_closed_at_once_with_a_log_line()
    {
        var listener = Listener(AnyPort(), ClientAllowList.Parse(["127.0.0.1"]));
        listener.Bind();
        await listener.StartAsync(CancellationToken.None);
        try
        {
            using var stranger = await ConnectTcp(listener.LocalEndPoint!, IPAddress.Parse("127.0.0.2"));
            Assert.Equal("<EOF>", await ReadLineAsync(stranger));
            Assert.Empty(handler.Peers);
            Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("refused connection from 127.0.0.2:", StringComparison.Ordinal) && l.Message.Contains("not in Listen:AllowedClients"));

            using var friend = await ConnectTcp(listener.LocalEndPoint!, IPAddress.Parse("127.0.0.1"));
            Assert.StartsWith("hello 127.0.0.1:", await ReadLineAsync(friend));
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Serves_ipv6_loopback()
    {
        var listener = Listener(new SocketSpec(SocketKind.Inet6, "::1", 0, null, "inet6:0@::1"));
        listener.Bind();
        await listener.StartAsync(CancellationToken.None);
        try
        {
            using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndPoint!);
            Assert.StartsWith("hello [::1]:", await ReadLineAsync(client));
            Assert.Equal([true], handler.NoDelay.ToArray());
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Non_loopback_bind_without_allow_list_warns()
    {
        using var listener = Listener(new SocketSpec(SocketKind.Inet, null, 0, null, "inet:0"));
        listener.Bind();
        Assert.True(logs.Contains(LogLevel.Warning, "a non-loopback address, but Listen:AllowedClients is not set"), logs.ToString());
    }

    [Fact]
    public void Explicit_allow_list_on_non_loopback_does_not_warn()
    {
        using var listener = Listener(new SocketSpec(SocketKind.Inet, null, 0, null, "inet:0"), ClientAllowList.Parse(["127.0.0.1", "192.0.2.0/24"]));
        listener.Bind();
        Assert.DoesNotContain(logs.Lines, l => l.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Many_connections_are_served_at_once()
    {
        var listener = Listener(AnyPort());
        listener.Bind();
        await listener.StartAsync(CancellationToken.None);
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 40; i++) clients.Add(await ConnectTcp(listener.LocalEndPoint!));
            foreach (var c in clients) Assert.StartsWith("hello ", await ReadLineAsync(c));
            Assert.Equal(40, handler.MaxActive);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
            await listener.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Shutdown_stops_accepting_and_lets_conversations_finish()
    {
        var listener = Listener(AnyPort());
        listener.Bind();
        var endPoint = listener.LocalEndPoint!;
        await listener.StartAsync(CancellationToken.None);
        using var client = await ConnectTcp(endPoint);
        Assert.StartsWith("hello", await ReadLineAsync(client));

        await listener.StopAsync(CancellationToken.None);
        Assert.Equal("bye", await ReadLineAsync(client));
        Assert.Equal(0, listener.ActiveConnections);
        await Assert.ThrowsAsync<SocketException>(() => ConnectTcp(endPoint));
    }

    [Fact]
    public async Task Shutdown_closes_conversations_that_outlive_the_drain_timeout()
    {
        handler.IgnoreShutdown = true;
        var listener = Listener(AnyPort(), drain: TimeSpan.FromMilliseconds(300));
        listener.Bind();
        await listener.StartAsync(CancellationToken.None);
        using var client = await ConnectTcp(listener.LocalEndPoint!);
        Assert.StartsWith("hello", await ReadLineAsync(client));

        await listener.StopAsync(CancellationToken.None);
        Assert.Equal("<EOF>", await ReadLineAsync(client));
        Assert.True(logs.Contains(LogLevel.Warning, "still busy after the drain timeout"), logs.ToString());
    }

    [Fact]
    public void Port_in_use_is_a_startup_error()
    {
        using var first = Listener(AnyPort());
        first.Bind();
        var port = ((IPEndPoint)first.LocalEndPoint!).Port;
        var text = $"inet:{port}@127.0.0.1";
        using var second = Listener(SocketSpec.Parse(text));
        var e = Assert.Throws<StartupException>(second.Bind);
        Assert.Equal($"cannot listen on {text}: address already in use", e.Message);
    }

    [Fact]
    public async Task Unix_socket_replaces_a_stale_file_and_applies_the_mode()
    {
        var path = dir["m.sock"];
        // A filter that died leaves its socket file behind: bound, nobody listening (connect is refused).
        // Kept open to the end: .NET unlinks the path when a bound socket is disposed.
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(path));
        Assert.True(File.Exists(path));

        var listener = Listener(SocketSpec.Parse("unix:" + path), mode: UnixFileMode.UserRead | UnixFileMode.UserWrite);
        listener.Bind();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(logs.Contains(LogLevel.Information, $"removed stale socket file {path}"), logs.ToString());

        await listener.StartAsync(CancellationToken.None);
        using (var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
            Assert.Equal($"hello unix:{path}", await ReadLineAsync(client));
        }
        await listener.StopAsync(CancellationToken.None);
        Assert.False(File.Exists(path), "the socket file is removed on shutdown");
    }

    [Fact]
    public void Unix_socket_of_a_running_filter_is_not_stolen()
    {
        var path = dir["busy.sock"];
        using var first = Listener(SocketSpec.Parse("local:" + path));
        first.Bind();
        using var second = Listener(SocketSpec.Parse("local:" + path));
        var e = Assert.Throws<StartupException>(second.Bind);
        Assert.Equal($"cannot listen on local:{path}: address already in use", e.Message);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Unix_socket_path_holding_a_regular_file_is_refused()
    {
        var path = dir["file.sock"];
        File.WriteAllText(path, "not a socket");
        using var listener = Listener(SocketSpec.Parse("unix:" + path));
        var e = Assert.Throws<StartupException>(listener.Bind);
        Assert.Equal($"cannot listen on unix:{path}: {path} exists and is not a socket (not removed)", e.Message);
        Assert.Equal("not a socket", File.ReadAllText(path));
    }

    [Fact]
    public void Unix_socket_in_a_missing_directory_is_named()
    {
        var path = dir["nope/m.sock"];
        using var listener = Listener(SocketSpec.Parse("unix:" + path));
        var e = Assert.Throws<StartupException>(listener.Bind);
        Assert.Equal($"cannot listen on unix:{path}: directory {dir["nope"]} does not exist", e.Message);
    }
}

/// <summary>Every listener test again with the connections accepted and served by two of our own event loops.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ListenerOnEventLoopsTests : ListenerTests
{
    protected override int EventLoops => 2;
}
