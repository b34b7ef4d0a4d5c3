using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.AuthResults;
using Milters.DomainKeys;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.SenderId;
using Milters.Testing.Milter;

namespace Milters.Fuzz;

/// <summary>
/// A whole conversation: the input is what the MTA writes on the socket, fed through the host's own
/// <see cref="MilterConnectionHandler"/> (frame reader, session, filter chain) with the three real plugins
/// (DomainKeys signs example.com from 127.0.0.1 and verifies the rest, SenderId, AuthResults) over an
/// in-memory zone. The handler catches protocol errors itself and never throws; what it or the chain logs
/// at Error (an internal error, a plugin throwing) is the finding.
/// </summary>
public static class MilterSessionTarget
{
    private static readonly FindingLog Log = new();
    private static readonly Lazy<MilterConnectionHandler> Handler = new(Create);

    public static void Run(ReadOnlySpan<byte> input)
    {
        var handler = Handler.Value;
        Log.Reset();
        using var connection = new ScriptedMtaStream(input.ToArray());
        handler.HandleAsync(connection, "fuzz", CancellationToken.None).GetAwaiter().GetResult();
        Log.ThrowIfAny();
    }

    private static MilterConnectionHandler Create()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:Order:0"] = "DomainKeys",
            ["Plugins:Order:1"] = "SenderId",
            ["Plugins:Order:2"] = "AuthResults",
            ["AuthResults:AuthservId"] = "mx.example.net",
            ["SenderId:HostName"] = "mx.example.net",
            // Every header a plugin can add, so outside text reaches each formatter (HELO, envelope, macros).
            ["SenderId:AddReceivedSpf"] = "true",
            ["SenderId:AddFilterHeader"] = "true",
            ["DomainKeys:AddFilterHeader"] = "true",
        }).Build();
        var loggerFactory = LoggerFactory.Create(b => b.ClearProviders().AddProvider(Log).SetMinimumLevel(LogLevel.Error));

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IDnsResolver>(FuzzDns.Standard());
        services.AddSingleton<ISigningKeyTable>(new SessionKeys());
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddOptions();
        var plugins = new List<LoadedPlugin>();
        foreach (IMilterPlugin plugin in new IMilterPlugin[] { new DomainKeysPlugin(), new SenderIdPlugin(), new AuthResultsPlugin() })
        {
            plugin.ConfigureServices(services, configuration.GetSection(plugin.Name));
            plugins.Add(new LoadedPlugin(plugin.Name, plugin, OnErrorAction.TempFail));
        }
        var set = new PluginSet(plugins, services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }));
        return new MilterConnectionHandler(new FixedPlugins(set), configuration, loggerFactory);
    }

    private sealed class FixedPlugins(PluginSet set) : IPluginSetProvider
    {
        public PluginSet Current => set;
    }
}
