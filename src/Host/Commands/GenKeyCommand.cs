using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Milters.Host.Commands;

/// <summary>
/// `milters genkey --domain D --selector S [--bits 2048] [--out DIR]`: a new RSA key for the key table and its
/// DNS record, what the seed's gentxt.csh gave. Writes DIR/S.key.pem (PKCS#1 PEM, "BEGIN RSA PRIVATE KEY",
/// the form dk-filter and openssl genrsa used; mode 0600, created that way so it is never readable by others)
/// and DIR/S.txt with the record in zone-file syntax, split into strings of at most 255 bytes (RFC 1035 §3.3.14):
/// <c>S._domainkey IN TXT ( "k=rsa; p=…" )</c>.
/// </summary>
public sealed class GenKeyCommand : ICliCommand
{
    /// <summary>RFC 4870 §3.1 allows 512 to 2048 bits; below 1024 is breakable today (RFC 8301 §3.2).</summary>
    private const int MinimumBits = 1024;

    private const int MaximumBits = 4096;

    public string Name => "genkey";

    public string Summary => "generate a DomainKeys/DKIM signing key and its DNS TXT record";

    public Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        string? domain = null, selector = null, outDir = ".";
        var bits = 2048;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            try
            {
                switch (arg)
                {
                    case "--domain": case "-d": domain = Next(); break;
                    case "--selector": case "-s": selector = Next(); break;
                    case "--bits": case "-b":
                        var text = Next();
                        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out bits))
                            throw new ArgumentException($"--bits \"{text}\" is not a number");
                        break;
                    case "--out": case "-D": outDir = Next(); break;
                    case "--help": case "-h":
                        stdout.WriteLine(Usage);
                        return Task.FromResult(0);
                    default: throw new ArgumentException($"unknown option {arg}");
                }
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"milters genkey: {e.Message}");
                stderr.WriteLine(Usage);
                return Task.FromResult(CommandLineApp.ExitUsage);
            }
        }
        if (domain is null || selector is null)
        {
            stderr.WriteLine("milters genkey: --domain and --selector are required");
            stderr.WriteLine(Usage);
            return Task.FromResult(CommandLineApp.ExitUsage);
        }
        if (bits < MinimumBits || bits > MaximumBits)
        {
            stderr.WriteLine($"milters genkey: --bits must be between {MinimumBits} and {MaximumBits}");
            return Task.FromResult(CommandLineApp.ExitUsage);
        }
        if (selector.Contains('/') || selector.Contains('\\') || selector.StartsWith('.'))
        {
            stderr.WriteLine($"milters genkey: \"{selector}\" is not a selector (a DNS label sequence)");
            return Task.FromResult(CommandLineApp.ExitUsage);
        }

        Directory.CreateDirectory(outDir!);
        var keyPath = Path.Combine(outDir!, selector + ".key.pem");
        var txtPath = Path.Combine(outDir!, selector + ".txt");
        if (File.Exists(keyPath))
        {
            stderr.WriteLine($"milters genkey: {keyPath} exists; not overwriting a key");
            return Task.FromResult(1);
        }

        using var rsa = RSA.Create(bits);
        WritePrivate(keyPath, rsa.ExportRSAPrivateKeyPem() + "\n");
        var record = $"k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}";
        File.WriteAllText(txtPath, ZoneRecord(selector, domain, record));
        stdout.WriteLine($"private key: {keyPath} ({bits} bits, mode 0600)");
        stdout.WriteLine($"DNS record:  {txtPath} (publish at {selector}._domainkey.{domain.TrimEnd('.')})");
        return Task.FromResult(0);
    }

    private const string Usage = "usage: milters genkey --domain DOMAIN --selector SELECTOR [--bits 2048] [--out DIR]";

    /// <summary>
    /// The record in zone-file syntax, relative to the domain's zone, with a comment naming the full name;
    /// the text split into quoted strings of at most 255 bytes each.
    /// </summary>
    public static string ZoneRecord(string selector, string domain, string record)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{selector}._domainkey IN TXT ( ");
        var strings = SplitStrings(record);
        text.Append(string.Join("\n\t", strings.Select(s => $"\"{s}\"")));
        text.Append(CultureInfo.InvariantCulture, $" ) ; DomainKeys/DKIM key for {domain.TrimEnd('.')}\n");
        return text.ToString();
    }

    /// <summary>TXT character-strings hold at most 255 bytes (RFC 1035 §3.3.14); the record is ASCII.</summary>
    public static IReadOnlyList<string> SplitStrings(string record)
    {
        var parts = new List<string>();
        for (var i = 0; i < record.Length; i += 255) parts.Add(record.Substring(i, Math.Min(255, record.Length - i)));
        return parts;
    }

    private static void WritePrivate(string path, string pem)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(pem));
    }
}
