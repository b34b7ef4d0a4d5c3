using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Hosting;
using Milters.Host.Pipeline;

namespace Milters.Host.Plugins;

/// <summary>
/// Builds one <see cref="PluginSet"/>: the plugins named in <c>Plugins:Order</c>, in that order, each
/// configured from its own section into one service collection that also holds the host services
/// (<see cref="IDnsResolver"/>, <see cref="ISigningKeyTable"/>, <see cref="TimeProvider"/>, logging, the
/// configuration root).
/// </summary>
public sealed class PluginSetFactory(PluginCatalog catalog)
{
    public static readonly IReadOnlyList<string> DefaultOrder = ["DomainKeys", "SenderId", "AuthResults"];

    public static string PluginDirectory(IConfiguration configuration)
    {
        var configured = configuration["Plugins:Directory"];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine(AppContext.BaseDirectory, "plugins") : configured);
    }

    public static IReadOnlyList<string> Order(IConfiguration configuration)
    {
        var order = ConfigLists.Get(configuration, "Plugins:Order") ?? DefaultOrder;
        var duplicate = order.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new StartupException($"Plugins:Order names \"{duplicate.Key}\" twice");
        return order;
    }

    public PluginSet Build(IConfiguration configuration, IDnsResolver resolver, ISigningKeyTable keys, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        var directory = PluginDirectory(configuration);
        var order = Order(configuration);

        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddSingleton(resolver);
        services.AddSingleton(keys);
        services.AddSingleton(timeProvider ?? TimeProvider.System);
        services.AddSingleton(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddOptions();

        var plugins = new List<LoadedPlugin>();
        foreach (var name in order)
        {
            var candidate = catalog.Find(directory, name);
            var plugin = PluginCatalog.Create(candidate.Type, candidate.Folder);
            var section = configuration.GetSection(name);
            try
            {
                plugin.ConfigureServices(services, section);
            }
            catch (Exception e) when (e is not StartupException)
            {
                throw new StartupException($"plugin \"{name}\" ({candidate.Folder}) rejected its configuration section \"{name}\": {BinderErrorText.Explain(e, plugin.GetType().Assembly)}", e);
            }
            plugins.Add(new LoadedPlugin(name, plugin, ReadOnError(section, name)) { Deadline = ReadDeadline(section, name) });
        }

        ServiceProvider provider;
        try
        {
            provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        }
        catch (Exception e) when (e is InvalidOperationException or AggregateException or ArgumentException)
        {
            var inner = e is AggregateException a ? a.InnerExceptions[0] : e;
            throw new StartupException($"plugin services cannot be built: {inner.Message}", e);
        }
        return new PluginSet(plugins, provider);
    }

    /// <summary>
    /// Optional "&lt;Name&gt;:Timeout": a callback running longer counts as a failure. Read with the rest of the
    /// configuration, so a bad value stops the start or the reload instead of being warned about per message.
    /// </summary>
    private static TimeSpan? ReadDeadline(IConfigurationSection section, string name)
    {
        var text = section["Timeout"];
        if (string.IsNullOrWhiteSpace(text)) return null;
        // .NET's timers take at most int.MaxValue milliseconds (~24.8 days); past that every call would fail.
        if (Milters.Abstractions.ConfigTime.TryParse(text, out var limit) && limit > TimeSpan.Zero && limit <= TimeSpan.FromMilliseconds(int.MaxValue))
            return limit;
        throw new StartupException($"{name}:Timeout: \"{text}\" is not a positive time span of at most 24 days like 00:00:30");
    }

    private static OnErrorAction ReadOnError(IConfigurationSection section, string name)
    {
        var text = section["OnError"];
        if (text is null) return OnErrorAction.TempFail;
        if (Enum.TryParse<OnErrorAction>(text, ignoreCase: true, out var action) && Enum.IsDefined(action) && !int.TryParse(text, out _))
            return action;
        throw new StartupException($"{name}:OnError: \"{text}\" is not one of TempFail, Accept, Reject, Continue");
    }
}
