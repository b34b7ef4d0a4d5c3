using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Milters.Host.Metrics;
using Milters.Host.Plugins;

namespace Milters.Host.Hosting;

/// <summary>
/// SIGHUP: read the configuration, the key table and the plugin configuration again and swap them in for
/// new connections. Connections in flight keep the set they started with. A new configuration that fails to
/// build is refused with one log line, and the running one stays.
/// </summary>
public sealed partial class ReloadService : IHostedService, IDisposable
{
    private readonly StartupArguments arguments;
    private readonly PluginSetProvider provider;
    private readonly PluginCatalog catalog;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger<ReloadService> logger;
    private readonly SemaphoreSlim gate = new(1, 1);
    private PosixSignalRegistration? registration;

    private readonly MilterMetrics? metrics;

    /// <summary>The configuration the process started with: the logging filters watch it.</summary>
    private readonly Microsoft.Extensions.Configuration.IConfigurationRoot? startConfiguration;

    public ReloadService(StartupArguments arguments, PluginSetProvider provider, PluginCatalog catalog, ILoggerFactory loggerFactory,
        ILogger<ReloadService> logger, MilterMetrics? metrics = null, Microsoft.Extensions.Configuration.IConfiguration? startConfiguration = null)
    {
        this.startConfiguration = startConfiguration as Microsoft.Extensions.Configuration.IConfigurationRoot;
        this.metrics = metrics;
        this.arguments = arguments;
        this.provider = provider;
        this.catalog = catalog;
        this.loggerFactory = loggerFactory;
        this.logger = logger;
        inForce = StartOnlySettings.Snapshot(provider.Generation.Configuration.Root);
    }

    /// <summary>The settings read at start only, as the process started with them.</summary>
    private readonly IReadOnlyDictionary<string, string> inForce;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // SIGHUP must not end the process
                _ = Task.Run(ReloadAsync);
            });
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// True when SIGHUP was ignored before we started (nohup, a shell's "trap '' HUP"): the runtime leaves an
    /// inherited SIG_IGN alone, so our handler never runs and a reload would silently do nothing.
    /// </summary>
    public static bool SighupIgnored(string statusPath = "/proc/self/status")
    {
        try
        {
            foreach (var line in File.ReadLines(statusPath))
            {
                if (!line.StartsWith("SigIgn:", StringComparison.Ordinal)) continue;
                return ulong.TryParse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, null, out var mask) && (mask & 1) != 0;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        registration?.Dispose();
        registration = null;
        return Task.CompletedTask;
    }

    /// <summary>Builds a new generation and swaps it in; returns false (and keeps the old one) when it cannot be built.</summary>
    public async Task<bool> ReloadAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var old = provider.Generation;
            HostGeneration next;
            try
            {
                next = HostGeneration.Build(arguments.BuildConfiguration(), loggerFactory, catalog, metrics is null ? null : Metered(metrics));
            }
            catch (StartupException e)
            {
                LogRefused(e.Message);
                return false;
            }
            catch (Exception e)
            {
                // Anything else (a plugin folder unreadable, a resolver that cannot be built) refuses the reload the
                // same way, with one line: the reload runs as a fire-and-forget task on SIGHUP, where it would vanish.
                LogRefused($"{e.GetType().Name}: {e.Message}");
                return false;
            }

            if (next.Listen.Socket.Text != old.Listen.Socket.Text)
                LogSocketChanged(old.Listen.Socket.Text, next.Listen.Socket.Text);
            if (StartOnlySettings.Changed(inForce, next.Configuration.Root) is { Count: > 0 } startOnly)
                LogStartOnlyChanged(string.Join(", ", startOnly));
            provider.Swap(next);
            // The replaced set's service provider is disposed once its last connection has closed.
            _ = old.Plugins.Retire(e => LogWarning($"the replaced configuration's plugin services failed to close: {e.GetType().Name}: {e.Message}"));
            RereadLogLevels();
            foreach (var warning in next.Warnings) LogWarning(warning);
            LogReloaded(next.Configuration.File ?? "(defaults)", string.Join(", ", next.Plugins.Plugins.Select(p => p.Name)), next.Keys.AllKeys.Count,
                next.Keys.AllKeys.Count == 0 ? "none" : string.Join(", ", next.Keys.AllKeys.Select(k => $"{k.Selector}._domainkey.{k.Domain}").Distinct()), next.Dns.ToString());
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Logging:LogLevel follows a reload as the rest does (an administrator turning on Debug expects a HUP to do it).
    /// The logging filters watch the configuration the process started with, so that one re-reads its sources;
    /// the choice of console or syslog stays as started.
    /// </summary>
    private void RereadLogLevels()
    {
        try
        {
            startConfiguration?.Reload();
        }
        catch (Exception e)
        {
            // The new generation is in place already; only the log levels stay as they were.
            LogWarning($"log levels not reloaded: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Every generation's resolver counts its lookups in the host's metrics.</summary>
    public static Func<Milters.Abstractions.IDnsResolver, Milters.Abstractions.IDnsResolver> Metered(MilterMetrics metrics) =>
        resolver => new MeteredDnsResolver(resolver, metrics);

    public void Dispose()
    {
        registration?.Dispose();
        gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogWarning(string warning);

    [LoggerMessage(Level = LogLevel.Error, Message = "reload refused, keeping the running configuration: {Error}")]
    private partial void LogRefused(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listen:Socket changed from {Old} to {New}: a restart is needed to listen there; the old socket stays")]
    private partial void LogSocketChanged(string old, string @new);

    [LoggerMessage(Level = LogLevel.Warning, Message = "changed setting(s) read at start only: {Keys}; the running values stay until a restart")]
    private partial void LogStartOnlyChanged(string keys);

    [LoggerMessage(Level = LogLevel.Information, Message = "configuration reloaded from {File}: plugins {Order}; {Keys} signing key(s): {KeyNames}; dns {Dns}")]
    private partial void LogReloaded(string file, string order, int keys, string keyNames, string dns);
}
