using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Milters.Abstractions;

namespace Milters.DomainKeys.Tests.Support;

/// <summary>A key table with "*@domain" style patterns, like the host's.</summary>
internal sealed class TestKeyTable : ISigningKeyTable
{
    private readonly List<(string Pattern, SigningKey Key)> entries = new();

    public TestKeyTable Add(string pattern, SigningKey key)
    {
        entries.Add((pattern, key));
        return this;
    }

    public IReadOnlyList<SigningKey> AllKeys => entries.Select(e => e.Key).ToList();

    public IReadOnlyList<SigningKey> FindKeys(string signingAddress)
    {
        var domain = signingAddress[(signingAddress.LastIndexOf('@') + 1)..];
        return entries.Where(e => e.Pattern == "*"
                || string.Equals(e.Pattern, signingAddress, StringComparison.OrdinalIgnoreCase)
                || string.Equals(e.Pattern.TrimStart('*', '@'), domain, StringComparison.OrdinalIgnoreCase))
            .Select(e => e.Key).ToList();
    }

    /// <summary>A fresh key and its DNS record text (k=rsa; p=…).</summary>
    public static (SigningKey Key, string Record) NewKey(string domain, string selector, int bits = 1024, RSA? rsa = null)
    {
        rsa ??= RSA.Create(bits);
        var record = "k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        return (new SigningKey(domain, selector, $"/keys/{selector}.pem", rsa), record);
    }
}

/// <summary>Builds the plugin's filter through its own ConfigureServices, as the host does.</summary>
internal static class FilterFactory
{
    public static MessageFilter Create(IDnsResolver dns, ISigningKeyTable keys, Dictionary<string, string?>? settings = null)
    {
        var plugin = new DomainKeysPlugin();
        var section = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddSingleton(dns);
        services.AddSingleton(keys);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        plugin.ConfigureServices(services, section);
        return plugin.CreateFilter(services.BuildServiceProvider());
    }
}
