using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.DomainKeys.Keys;
using Milters.DomainKeys.Signing;

namespace Milters.DomainKeys;

/// <summary>
/// DomainKeys (RFC 4870) signing and verification: dk-filter's job inside the milter chain. Keys come from
/// the host's central key table; DNS from the host's resolver.
/// </summary>
public sealed class DomainKeysPlugin : IMilterPlugin, IPluginSettings
{
    public string Name => "DomainKeys";

    /// <summary>The section is bound to <see cref="DomainKeysOptions"/>: its settable properties are the keys.</summary>
    public IReadOnlyCollection<string> SettingNames { get; } = typeof(DomainKeysOptions)
        .GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
        .Where(p => p.CanWrite).Select(p => p.Name).ToArray();

    // Connection address and macros decide signing; headers and body are hashed; signatures are inserted
    // (SMFIF_ADDHDRS covers insert) and -C may quarantine. Every verdict is given at end of message, so the
    // earlier stages are ObserveOnly: the MTA sends connect, MAIL, headers, EOH and body without waiting for
    // a reply to each (SMFIP_NR_*), ~11 fewer round trips for a small message. The price: the body of mail
    // that is neither signed nor verified can no longer be cut short with SMFIR_SKIP (the filter still
    // answers Skip, and the host then drops the chunks unread).
    public PluginNeeds Needs =>
        PluginNeeds.Connect | PluginNeeds.MailFrom | PluginNeeds.Headers | PluginNeeds.EndOfHeaders | PluginNeeds.Body
        | PluginNeeds.AddHeaders | PluginNeeds.Quarantine | PluginNeeds.ObserveOnly;

    public void ConfigureServices(IServiceCollection services, IConfiguration section)
    {
        var options = new DomainKeysOptions();
        section.Bind(options);
        ReadCommaLists(section, options);
        options.Validate();
        var internalHostsConfigured = section.GetSection(nameof(DomainKeysOptions.InternalHosts)).Exists();
        // Read the host and domain lists (and their files) now: a missing file or a bad entry stops the start (or the
        // reload) with its key named, instead of tempfailing every message from the first connection on — and it is
        // read before privileges are dropped (-u), as dk-filter read it. The key table's domains come with the services.
        var lists = new SigningPolicy(options, [], internalHostsConfigured);
        services.AddSingleton(options);
        services.AddSingleton(new KeyRecordCache());
        services.AddSingleton(sp => lists.WithKeyTableDomains(sp.GetRequiredService<ISigningKeyTable>().AllKeys.Select(k => k.Domain)));
    }

    /// <summary>
    /// A list option may also be one comma-separated string (what `milters dk-filter` and environment
    /// variables give): it replaces the list instead of merging into it index by index.
    /// </summary>
    private static void ReadCommaLists(IConfiguration section, DomainKeysOptions options)
    {
        void Read(string key, List<string> target)
        {
            if (section.GetSection(key).Value is not { } single) return;
            target.Clear();
            target.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        Read(nameof(DomainKeysOptions.OmitHeaders), options.OmitHeaders);
        Read(nameof(DomainKeysOptions.Domains), options.Domains);
        Read(nameof(DomainKeysOptions.InternalHosts), options.InternalHosts);
        Read(nameof(DomainKeysOptions.ExternalHosts), options.ExternalHosts);
        Read(nameof(DomainKeysOptions.PeerHosts), options.PeerHosts);
        Read(nameof(DomainKeysOptions.SigningDaemons), options.SigningDaemons);
        Read(nameof(DomainKeysOptions.SigningMacros), options.SigningMacros);
    }

    public MessageFilter CreateFilter(IServiceProvider services) => new DomainKeysFilter(
        services.GetRequiredService<DomainKeysOptions>(),
        services.GetRequiredService<SigningPolicy>(),
        services.GetRequiredService<ISigningKeyTable>(),
        services.GetRequiredService<IDnsResolver>(),
        services.GetRequiredService<ILogger<DomainKeysFilter>>(),
        services.GetRequiredService<KeyRecordCache>());
}
