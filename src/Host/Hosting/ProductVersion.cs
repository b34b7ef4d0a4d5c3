using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Milters.Host.Hosting;

/// <summary>
/// What `milters --version` (and the old filters' <c>-V</c>) prints: the product version with the commit it
/// was built from, the .NET runtime and the OpenSSL that makes the RSA signatures — the three things a bug
/// report needs.
/// </summary>
public static class ProductVersion
{
    /// <summary>The informational version ("0.9.0+COMMIT" when built from a git checkout).</summary>
    public static string Text { get; } =
        typeof(ProductVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ProductVersion).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static IEnumerable<string> Describe()
    {
        yield return $"milters {Text}";
        yield return $"\t{RuntimeInformation.FrameworkDescription} on {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()})";
        if (OpenSsl() is { } openssl) yield return $"\t{openssl}";
    }

    /// <summary>OpenSSL's version number (0xMNN00PP0L) as text; null where .NET's crypto is not OpenSSL.</summary>
    private static string? OpenSsl()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var v = SafeEvpPKeyHandle.OpenSslVersion;
            return $"OpenSSL {(v >> 28) & 0xF}.{(v >> 20) & 0xFF}.{(v >> 4) & 0xFF}";
        }
        catch (Exception e) when (e is PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
