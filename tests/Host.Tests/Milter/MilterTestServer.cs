using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Milters.Abstractions;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.Testing.Milter;

namespace Milters.Host.Tests.Milter;

/// <summary>
/// The real <see cref="MilterConnectionHandler"/> behind a real socket: loopback TCP on port 0, or a unix
/// socket in a fresh temp directory. Every accepted connection runs on its own task, as in the host.
/// </summary>
public sealed class MilterTestServer : IAsyncDisposable, IPluginSetProvider
{
    private readonly Socket listener;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> connections = new();
    private readonly Task acceptLoop;
    private readonly string? socketDir;

    private MilterTestServer(Socket listener, string? socketDir, IReadOnlyList<LoadedPlugin> plugins, IDictionary<string, string?>? config)
    {
        this.listener = listener;
        this.socketDir = socketDir;
        Current = new PluginSet(plugins, new ServiceCollection().BuildServiceProvider());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config ?? new Dictionary<string, string?>()).Build();
        Handler = new MilterConnectionHandler(this, configuration, Logs);
        acceptLoop = AcceptAsync();
    }

    public LogCapture Logs { get; } = new();

    public MilterConnectionHandler Handler { get; }

    public PluginSet Current { get; private set; }

    /// <summary>What SIGHUP does in the host: new conversations get these plugins.</summary>
    public void Reload(params LoadedPlugin[] plugins) => Current = new PluginSet(plugins, new ServiceCollection().BuildServiceProvider());

    /// <summary>Cancelled to ask every connection to finish (SIGTERM in the host).</summary>
    public CancellationTokenSource Shutdown { get; } = new();

    public EndPoint EndPoint => listener.LocalEndPoint!;

    public static MilterTestServer StartTcp(params LoadedPlugin[] plugins) => StartTcp(null, plugins);

    public static MilterTestServer StartTcp(IDictionary<string, string?>? config, params LoadedPlugin[] plugins)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.Listen(16);
        return new MilterTestServer(s, null, plugins, config);
    }

    public static MilterTestServer StartUnix(params LoadedPlugin[] plugins)
    {
        var dir = Directory.CreateTempSubdirectory("milter-test-").FullName;
        var path = Path.Combine(dir, "milter.sock");
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(path));
        s.Listen(16);
        return new MilterTestServer(s, dir, plugins, null);
    }

    public static LoadedPlugin Plugin(IMilterPlugin plugin, OnErrorAction onError = OnErrorAction.TempFail) =>
        new(plugin.Name, plugin, onError);

    public Task<MilterClient> ConnectAsync() => listener.AddressFamily == AddressFamily.Unix
        ? MilterClient.ConnectUnixAsync(((UnixDomainSocketEndPoint)EndPoint).ToString())
        : MilterClient.ConnectTcpAsync((IPEndPoint)EndPoint);

    /// <summary>Negotiated client, connected (SMFIC_CONNECT) and greeted (SMFIC_HELO), ready for a message.</summary>
    public async Task<MilterClient> ReadyClientAsync(MtaOffer offer, Action<MilterClient>? setup = null)
    {
        var client = await ConnectAsync();
        setup?.Invoke(client);
        await client.NegotiateAsync(offer);
        await client.ConnectAsync("client.example.net", IPAddress.Parse("192.0.2.10"), 40000);
        await client.HeloAsync("client.example.net");
        return client;
    }

    /// <summary>
    /// The MTA lost during end of message: a client sends a message up to SMFIC_BODYEOB, waits until the plugin has
    /// it ("eom" in its events), and closes the connection without reading the answer.
    /// </summary>
    public async Task LeaveDuringEndOfMessageAsync(ScriptedPlugin plugin)
    {
        await using var client = await ReadyClientAsync(MtaOffer.Sendmail);
        await client.MailFromAsync("a@example.com");
        await client.RcptAsync("b@example.org");
        await client.HeaderAsync("From", " a@example.com");
        await client.EndOfHeadersAsync();
        await client.SendAsync('E', []);
        for (var i = 0; i < 100 && !plugin.Events.Contains("eom"); i++) await Task.Delay(20);
    }

    /// <summary>Waits until every connection handler returned (they never throw).</summary>
    public async Task WaitForHandlersAsync()
    {
        Task[] all;
        lock (connections) all = connections.ToArray();
        await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            if (socket.AddressFamily != AddressFamily.Unix) socket.NoDelay = true;
            var task = Task.Run(async () =>
            {
                await using var stream = new NetworkStream(socket, ownsSocket: true);
                await Handler.HandleAsync(stream, socket.RemoteEndPoint?.ToString() ?? "unix", Shutdown.Token);
            });
            lock (connections) connections.Add(task);
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        Shutdown.Cancel();
        listener.Dispose();
        try { await acceptLoop; } catch (OperationCanceledException) { }
        try { await WaitForHandlersAsync(); } catch (TimeoutException) { }
        if (socketDir is not null) Directory.Delete(socketDir, recursive: true);
    }
}
