using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Milters.Host.Hosting;

namespace Milters.Host.Keys;

/// <summary>
/// Reads one private key file: PEM PKCS#1 ("BEGIN RSA PRIVATE KEY", what dk-filter and openssl genrsa
/// write) or PKCS#8 ("BEGIN PRIVATE KEY", what opendkim-genkey and openssl genpkey write), both through
/// .NET's <see cref="RSA.ImportFromPem(ReadOnlySpan{char})"/>. BouncyCastle is not needed: .NET reads every
/// unencrypted PEM RSA form these tools produce, and its OpenSSL-backed RSA is the fast signer
/// (see DESIGN.md). Messages name the file, never its contents.
/// </summary>
public static partial class KeyFileLoader
{
    /// <summary>Smaller keys are refused: RFC 4870 §3.1 "MUST" allow ≥ 512, but 512/768-bit RSA is breakable today (RFC 8301 §3.2 sets 1024 for DKIM).</summary>
    public const int MinimumKeyBits = 1024;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static RSA Load(string path, bool strict, ILogger logger)
    {
        if (!File.Exists(path)) throw new StartupException($"key file {path} not found");

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
            {
                var octal = Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
                if (strict) throw new StartupException($"key file {path} is accessible by group or others (mode {octal}); chmod 600 it (Keys:Strict is true)");
                LogLoosePermissions(logger, path, octal);
            }
        }

        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"key file {path} cannot be read: {e.Message}", e);
        }

        if (pem.Contains("ENCRYPTED", StringComparison.Ordinal))
            throw new StartupException($"key file {path} is encrypted; the milter needs an unencrypted key (openssl pkey -in KEY -out PLAIN)");

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            // The exception text never holds key bytes, but keep to our own words anyway.
            throw new StartupException($"key file {path} holds no RSA private key in PEM form (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)", e);
        }

        try
        {
            // A public key imports fine but cannot sign: find out now, not on the first message.
            rsa.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException e)
        {
            rsa.Dispose();
            throw new StartupException($"key file {path} holds a public key, not a private key", e);
        }

        if (rsa.KeySize < MinimumKeyBits)
        {
            var bits = rsa.KeySize;
            rsa.Dispose();
            // 768-bit RSA has been factored (2009): a signature with it proves nothing, so such a key is not loaded.
            throw new StartupException($"key file {path} holds a {bits}-bit key; at least {MinimumKeyBits} bits are required " +
                "(make a new key and selector: milters genkey --domain D --selector S --out DIR)");
        }
        return rsa;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "key file {Path} is accessible by group or others (mode {Mode}); chmod 600 it (set Keys:Strict to refuse such files)")]
    private static partial void LogLoosePermissions(ILogger logger, string path, string mode);
}
