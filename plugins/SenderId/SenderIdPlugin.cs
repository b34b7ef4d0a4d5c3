using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.SenderId.Spf;

namespace Milters.SenderId;

/// <summary>
/// Sender ID (RFC 4406, PRA per RFC 4407) and SPF (RFC 7208) verification, the successor of sid-filter.
/// Records "sender-id" and "spf" results for AuthResults and applies sid-filter's reject policy.
/// </summary>
public sealed class SenderIdPlugin : IMilterPlugin, IPluginSettings
{
    public string Name => "SenderId";

    public IReadOnlyCollection<string> SettingNames => SenderIdOptions.SettingNames;

    /// <summary>
    /// Header fields are only collected (the PRA is chosen at end of headers), so the MTA need not wait for a
    /// reply after each one (<see cref="PluginNeeds.ObserveOnlyHeaders"/>, SMFIP_NR_HDR). The other stages keep
    /// their replies: end of headers may reject (RFC 4406 §4, RejectMissingPra), and MTAs and clients that
    /// expect a reply to connect, HELO and MAIL from a Sender ID filter get one.
    /// </summary>
    public PluginNeeds Needs => PluginNeeds.Connect | PluginNeeds.Helo | PluginNeeds.MailFrom | PluginNeeds.Headers
        | PluginNeeds.EndOfHeaders | PluginNeeds.AddHeaders | PluginNeeds.Quarantine | PluginNeeds.ObserveOnlyHeaders;

    public void ConfigureServices(IServiceCollection services, IConfiguration section)
    {
        var options = SenderIdOptions.FromConfiguration(section);
        var peers = PeerList.Load(options);
        services.AddSingleton(options);
        services.AddSingleton(peers);
        services.AddSingleton(sp => new SpfEvaluator(
            sp.GetRequiredService<IDnsResolver>(),
            new SpfEvaluatorOptions
            {
                DefaultExplanation = options.DefaultExplanation,
                ReceiverName = options.HostName ?? "unknown",
                UseSpf1ForPra = options.UseSpf1ForPra,
                BestGuessRecord = options.BestGuess ? SpfEvaluatorOptions.SidFilterBestGuess : null,
            },
            sp.GetService<TimeProvider>()));
        services.AddSingleton(sp => new SenderIdChecks(sp.GetRequiredService<SpfEvaluator>(), options));
    }

    public MessageFilter CreateFilter(IServiceProvider services) => new SenderIdFilter(
        services.GetRequiredService<SenderIdChecks>(),
        services.GetRequiredService<PeerList>(),
        services.GetService<ILogger<SenderIdFilter>>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<SenderIdFilter>.Instance);
}
