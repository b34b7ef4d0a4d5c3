using System.Reflection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Dns;
using Milters.Host.Keys;
using Milters.Host.Pipeline;
using Milters.Host.Plugins;

namespace Milters.Host.Hosting;

/// <summary>
/// Everything built from one reading of the configuration: listen options, resolver, key table and plugin
/// set. Built whole or not at all, so a reload either swaps in a complete new generation or keeps the old.
/// </summary>
public sealed record HostGeneration(
    MiltersConfiguration Configuration,
    ListenOptions Listen,
    DnsOptions Dns,
    SigningKeyTable Keys,
    string PluginDirectory,
    PluginSet Plugins)
{
    /// <summary>Settings nobody reads (typos), for check-config and the start-up log.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <param name="decorateResolver">Wraps the resolver handed to plugins (the host counts lookups with it).</param>
    public static HostGeneration Build(MiltersConfiguration configuration, ILoggerFactory loggerFactory, PluginCatalog catalog,
        Func<IDnsResolver, IDnsResolver>? decorateResolver = null)
    {
        var root = configuration.Root;
        HostSettingsCheck.Validate(root);
        var listen = ListenOptions.FromConfiguration(root);
        var dns = DnsOptions.FromConfiguration(root);
        var keyDir = configuration.File is null ? null : Path.GetDirectoryName(configuration.File);
        var keys = SigningKeyTable.Load(KeyTableOptions.FromConfiguration(root, keyDir), loggerFactory.CreateLogger("Milters.Keys"));
        IDnsResolver resolver = new DnsClientResolver(dns);
        if (decorateResolver is not null) resolver = decorateResolver(resolver);
        var plugins = new PluginSetFactory(catalog).Build(root, resolver, keys, loggerFactory);
        return new HostGeneration(configuration, listen, dns, keys, PluginSetFactory.PluginDirectory(root), plugins)
        {
            Warnings = ConfigurationLint.Check(root, plugins.Plugins.Select(p => (p.Name, (p.Plugin as IPluginSettings)?.SettingNames))),
        };
    }

    private static string PluginVersion(LoadedPlugin plugin)
    {
        var assembly = plugin.Plugin.GetType().Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        // "0.9.0+COMMIT": the commit is the host's too for the built-in plugins; the version number is what differs.
        return (informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString(3)) ?? "unknown";
    }

    /// <summary>The effective settings in a few lines (check-config, and the start-up log).</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"configuration: {Configuration.File ?? "(no file; built-in defaults)"}";
        yield return $"socket: {Listen.Socket}";
        if (Listen.Socket.IsTcp) yield return $"allowed clients: {Listen.AllowedClients}";
        else yield return $"socket mode: {Convert.ToString((int)Listen.UnixSocketMode, 8).PadLeft(4, '0')}";
        yield return $"plugins directory: {PluginDirectory}";
        yield return "plugin order: " + (Plugins.Plugins.Count == 0
            ? "(none)"
            : string.Join(" -> ", Plugins.Plugins.Select(p => $"{p.Name} (on error: {p.OnError})")));
        // Drop-in plugins come from elsewhere and are upgraded on their own: which build is loaded belongs in a bug report.
        if (Plugins.Plugins.Count > 0)
            yield return "plugin versions: " + string.Join(", ", Plugins.Plugins.Select(p => $"{p.Name} {PluginVersion(p)}"));
        var milter = Milter.MilterOptions.From(Configuration.Root);
        yield return $"milter: connection timeout {milter.ConnectionTimeout}, frames up to {milter.MaxFrameSize} bytes, progress every {milter.ProgressInterval}";
        yield return $"dns: {Dns}";
        yield return $"signing keys: {(Keys.AllKeys.Count == 0 ? "none" : string.Join(", ", Keys.AllKeys.Select(k => k.ToString())))}";
    }
}
