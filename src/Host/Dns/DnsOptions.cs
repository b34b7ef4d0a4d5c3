using System.Net;
using Microsoft.Extensions.Configuration;
using Milters.Host.Hosting;

namespace Milters.Host.Dns;

/// <summary>The <c>Dns</c> section: servers (empty = the system's resolvers), timeout per try, retries, cache.</summary>
public sealed record DnsOptions(IReadOnlyList<IPEndPoint> Servers, TimeSpan Timeout, int Retries, bool UseCache, int CacheMegabytes = DnsOptions.DefaultCacheMegabytes)
{
    /// <summary>The answer cache's memory budget: tens of thousands of ordinary answers.</summary>
    public const int DefaultCacheMegabytes = 64;

    public static DnsOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("Dns");
        var servers = (ConfigLists.Get(configuration, "Dns:Servers") ?? []).Select(NameServerAddress.Parse).ToList();
        var timeout = ConfigValues.ReadTime(section, "Timeout", TimeSpan.FromSeconds(5));
        if (timeout <= TimeSpan.Zero) throw new StartupException($"Dns:Timeout: must be more than zero");
        var retries = ConfigValues.ReadInt(section, "Retries", 2, 0, 10);
        var useCache = ConfigValues.ReadBool(section, "UseCache", true);
        var cacheMegabytes = ConfigValues.ReadInt(section, "CacheMegabytes", DefaultCacheMegabytes, 1, 4096);
        return new DnsOptions(servers, timeout, retries, useCache, cacheMegabytes);
    }

    public override string ToString() =>
        (Servers.Count == 0 ? "system resolvers" : string.Join(", ", Servers.Select(s => s.ToString()))) +
        $" (timeout {Timeout}, retries {Retries}, cache {(UseCache ? $"on, {CacheMegabytes} MB" : "off")})";
}
