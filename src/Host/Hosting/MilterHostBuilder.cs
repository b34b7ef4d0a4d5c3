using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Milters.Host.Metrics;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.Host.Plugins;

namespace Milters.Host.Hosting;

/// <summary>
/// Composes the milter process: configuration → logging → first generation (keys, resolver, plugins) →
/// bound socket, all before the host starts, so each start-up failure is one clear line. Then the generic
/// host runs the listener (a BackgroundService) with systemd integration (readiness notification, journald
/// console format) and SIGTERM/SIGINT handling.
/// </summary>
public static class MilterHostBuilder
{
    /// <param name="arguments">What to build the configuration from.</param>
    /// <param name="addProtocol">Registers the <see cref="IMilterConnectionHandler"/> (tests may pass their own).</param>
    public static IHost Build(StartupArguments arguments, Action<IServiceCollection> addProtocol)
    {
        var configuration = arguments.BuildConfiguration();
        InlineSocketCompletions.Apply(configuration.Root);

        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "milters",
            ContentRootPath = AppContext.BaseDirectory,
        });
        MiltersLogging.Configure(builder.Logging, configuration.Root);
        builder.Services.AddSystemd();

        var services = builder.Services;
        services.AddSingleton(arguments);
        // The configuration of the first generation: what the protocol handler reads its Milter section from.
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(configuration.Root);
        services.AddSingleton<PluginCatalog>();
        services.AddMilterMetrics(configuration.Root);
        services.AddSingleton(sp =>
        {
            var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
            var exitLogger = loggerFactory.CreateLogger("Milters.Host");
            return new PluginSetProvider(
                HostGeneration.Build(configuration, loggerFactory, sp.GetRequiredService<PluginCatalog>(),
                    ReloadService.Metered(sp.GetRequiredService<MilterMetrics>())),
                e => exitLogger.LogWarning("the plugins' services failed to close at exit: {Type}: {Message}", e.GetType().Name, e.Message));
        });
        services.AddSingleton<IPluginSetProvider>(sp => sp.GetRequiredService<PluginSetProvider>());
        services.AddSingleton(sp => sp.GetRequiredService<PluginSetProvider>().Generation.Listen);
        services.AddSingleton<MilterListener>();
        services.AddHostedService(sp => sp.GetRequiredService<MilterListener>());
        services.AddSingleton<ReloadService>();
        services.AddHostedService(sp => sp.GetRequiredService<ReloadService>());
        addProtocol(services);

        // The host waits for the listener's drain (bounded by Listen:DrainTimeout) plus a little for the rest.
        var drain = ListenOptions.FromConfiguration(configuration.Root).DrainTimeout;
        services.Configure<HostOptions>(o => o.ShutdownTimeout = drain + TimeSpan.FromSeconds(5));
        // "Press Ctrl+C to shut down" and friends are noise in a mail log; our own lines say what matters.
        services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        return builder.Build();
    }

    /// <summary>
    /// Builds the first generation and binds the socket (each failure a <see cref="StartupException"/>),
    /// writes the pid file, drops privileges, then runs until SIGTERM/SIGINT.
    /// </summary>
    /// <param name="onServing">Called once the listener serves (after the "ready" line), told whether the log goes to the
    /// console: the daemon's signal to the process that started it.</param>
    public static async Task<int> RunAsync(StartupArguments arguments, Action<IServiceCollection> addProtocol, CancellationToken cancellationToken,
        Action<bool>? onServing = null)
    {
        // SIGTERM/SIGINT during start-up (before the host's own lifetime listens) still means "stop cleanly".
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // SIGHUP never ends the process: ReloadService reloads while the host runs, and before it starts or after it
        // stops (the drain) a HUP from logrotate or a config tool would otherwise take the default action and cut the
        // messages in flight (found by an independent review: exit 129 in the middle of a drain).
        using var holdHup = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => c.Cancel = true);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        using var host = Build(arguments, addProtocol);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Milters.Host");
        PluginSetProvider provider;
        PidFile? pidFile = null;
        try
        {
            provider = host.Services.GetRequiredService<PluginSetProvider>();
            var listener = host.Services.GetRequiredService<MilterListener>();
            MilterProtocol.Validate(provider.Generation.Configuration.Root);
            listener.Bind();
            host.Services.GetRequiredService<IMilterConnectionHandler>();

            var root = provider.Generation.Configuration.Root;
            pidFile = root["Hosting:PidFile"] is { Length: > 0 } pidPath ? PidFile.Write(pidPath) : null;
            if (root["Hosting:User"] is { Length: > 0 } user)
            {
                var socket = provider.Generation.Listen.Socket;
                try
                {
                    PrivilegeDrop.Drop(user, socket.Kind == SocketKind.Unix ? [socket.Path!] : []);
                }
                catch (StartupException)
                {
                    pidFile?.Remove();
                    throw;
                }
            }
        }
        catch (StartupException e) when (LogsToSyslog(host))
        {
            // With -l the administrator reads the mail log, as with dk-filter: the failure goes there too
            // (stderr still gets it from the caller; with console logging once is enough).
            logger.LogCritical("{Error}", e.Message);
            throw;
        }

        foreach (var line in provider.Generation.Describe()) logger.LogInformation("{Setting}", line);
        if (provider.Generation.Configuration.Root["Hosting:User"] is { Length: > 0 } droppedTo)
            foreach (var unreadable in UnreadableAfterDrop(provider.Generation))
                logger.LogWarning("{Problem}", $"{unreadable} cannot be read as user {droppedTo.Split(':')[0]}: a reload (SIGHUP) will be refused until it can " +
                    $"(e.g. chown {droppedTo.Split(':')[0]} {unreadable}, keeping mode 0600, which Keys:Strict asks of a key); the running configuration keeps what was read at start");
        foreach (var warning in provider.Generation.Warnings) logger.LogWarning("{Warning}", warning);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var hupIgnored = !OperatingSystem.IsWindows() && ReloadService.SighupIgnored();
        if (hupIgnored)
            logger.LogWarning("SIGHUP is ignored in this process (started under nohup or with the signal trapped): reloading is off, restart to apply changes; start milters without nohup (systemd, setsid) to reload with SIGHUP");
        lifetime.ApplicationStarted.Register(() =>
        {
            logger.LogInformation(hupIgnored
                ? "milters {Version} ready (pid {Pid}); SIGTERM stops"
                : "milters {Version} ready (pid {Pid}); SIGHUP reloads the configuration, SIGTERM stops", ProductVersion.Text, Environment.ProcessId);
            onServing?.Invoke(!LogsToSyslog(host));
        });

        try
        {
            await host.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // stopped before it had fully started
        }
        finally
        {
            if (pidFile?.Remove() is { } notRemoved) logger.LogWarning("{Problem}", notRemoved);
        }
        return 0;
    }

    /// <summary>
    /// Files read again at a reload that the user we dropped to cannot read: the start (as root) read them, so only
    /// the first SIGHUP would tell — with every reload refused (found by an independent review of dk-filter's
    /// `-u` habit with a root-only key file).
    /// </summary>
    private static IEnumerable<string> UnreadableAfterDrop(HostGeneration generation)
    {
        var files = generation.Keys.AllKeys.Select(k => k.KeyFile).Prepend(generation.Configuration.File)
            .Concat(ListFiles(generation.Configuration.Root)).OfType<string>().Distinct();
        foreach (var file in files)
        {
            bool readable;
            try
            {
                using (File.OpenRead(file)) readable = true;
            }
            catch (UnauthorizedAccessException)
            {
                readable = false;
            }
            catch (IOException)
            {
                readable = true; // gone or busy: not a permission question; a reload says what it is
            }
            if (!readable) yield return file;
        }
    }

    /// <summary>
    /// Files the plugins read from their settings (DomainKeys host and domain lists, SenderId peer lists: a value, or
    /// an item of a comma list, that names an existing file by its absolute path). The host's own paths are not read
    /// again at a reload (pid file, syslog socket, plugin folder).
    /// </summary>
    private static IEnumerable<string> ListFiles(Microsoft.Extensions.Configuration.IConfiguration root)
    {
        string[] hostSections = ["Hosting", "Logging", "Listen", "Plugins", "Keys", "Milter", "Metrics", "Dns"];
        foreach (var section in root.GetChildren())
        {
            if (hostSections.Contains(section.Key, StringComparer.OrdinalIgnoreCase)) continue;
            foreach (var (_, value) in section.AsEnumerable())
            {
                if (value is null) continue;
                foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
                    if (item.StartsWith('/') && File.Exists(item)) yield return item;
            }
        }
    }

    private static bool LogsToSyslog(IHost host) =>
        host.Services.GetServices<ILoggerProvider>().Any(p => p is SyslogLoggerProvider);
}
