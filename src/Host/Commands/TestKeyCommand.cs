using System.Security.Cryptography;
using Milters.Abstractions;
using Milters.Host.Dns;
using Milters.Host.Hosting;
using Milters.Host.Keys;

namespace Milters.Host.Commands;

/// <summary>
/// `milters testkey --domain D --selector S [--key FILE] [--nameserver HOST:PORT]`: looks up
/// S._domainkey.D through the resolver the milter would use (Dns section, --nameserver), checks the record
/// (RFC 4870 §3.2.3: k=rsa, p= present and not revoked) and, with --key, that it holds the public half of the
/// private key. Without --domain and --selector it checks every entry of the configuration's key table against its
/// KeyFile (what an administrator wants after a reload); with them but without --key, the table's KeyFile for that
/// pair is used when there is one. Like dkim-testkey, it warns when a key file is readable by group or others.
/// Exit 0 when everything matches, 1 when not, 2 on usage errors.
/// </summary>
public sealed class TestKeyCommand : ICliCommand
{
    public string Name => "testkey";

    public string Summary => "check published DomainKeys/DKIM key records against the private keys (one, or the whole key table)";

    private const string Usage = "usage: milters testkey [--domain DOMAIN --selector SELECTOR [--key FILE]] [--nameserver HOST:PORT] [--config PATH]\n" +
                                 "       without --domain and --selector: every entry of the configuration's key table";

    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var rest = new List<string>();
        HostCommandLine commandLine;
        try
        {
            commandLine = HostCommandLine.Parse(args, rest);
        }
        catch (StartupException e)
        {
            stderr.WriteLine($"milters testkey: {e.Message}");
            return CommandLineApp.ExitUsage;
        }
        string? domain = null, selector = null, keyFile = null;
        for (var i = 0; i < rest.Count; i++)
        {
            var arg = rest[i];
            string? Next() => i + 1 < rest.Count ? rest[++i] : "";
            switch (arg)
            {
                case "--domain": case "-d": domain = Next(); break;
                case "--selector": case "-s": selector = Next(); break;
                case "--key": case "-k": keyFile = Next(); break;
                case "--help": case "-h": stdout.WriteLine(Usage); return 0;
                default:
                    stderr.WriteLine($"milters testkey: unknown option {arg}");
                    stderr.WriteLine(Usage);
                    return CommandLineApp.ExitUsage;
            }
        }
        if (commandLine.Help) { stdout.WriteLine(Usage); return 0; }
        // An option given without its value ("" from Next) is a usage error, never "check the whole table".
        var checkTable = domain is null && selector is null && keyFile is null;
        if (keyFile is "" || (!checkTable && (string.IsNullOrEmpty(domain) || string.IsNullOrEmpty(selector))))
        {
            stderr.WriteLine("milters testkey: --domain and --selector go together (or give neither to check the key table)");
            stderr.WriteLine(Usage);
            return CommandLineApp.ExitUsage;
        }

        DnsOptions dnsOptions;
        MiltersConfiguration configuration;
        try
        {
            configuration = new StartupArguments(commandLine).BuildConfiguration();
            dnsOptions = DnsOptions.FromConfiguration(configuration.Root);
        }
        catch (StartupException e)
        {
            stderr.WriteLine($"milters testkey: {e.Message}");
            return 2;
        }
        var configFile = configuration.File;
        var resolver = new DnsClientResolver(dnsOptions);

        // The key table is read only when it is needed: a damaged one must not stop a check that names its key file.
        KeyTableOptions? table = null;
        string? tableError = null;
        if (keyFile is null)
        {
            try { table = KeyTableOptions.FromConfiguration(configuration.Root, configFile is null ? null : Path.GetDirectoryName(configFile)); }
            catch (StartupException e) { tableError = e.Message; }
        }

        if (!checkTable)
        {
            keyFile ??= table?.Entries.FirstOrDefault(e => string.Equals(e.Domain, domain!.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
                                                           && string.Equals(e.Selector, selector, StringComparison.OrdinalIgnoreCase))?.KeyFile;
            if (keyFile is null && tableError is not null) stderr.WriteLine($"warning: the key table was not read ({tableError}); checking the record alone");
            return await CheckAsync(resolver, domain!, selector!, keyFile, stdout, stderr, cancellationToken);
        }
        if (table is null)
        {
            stderr.WriteLine($"milters testkey: {tableError}");
            return 2;
        }
        if (table.Entries.Count == 0)
        {
            stderr.WriteLine($"milters testkey: the key table of {configFile ?? "the built-in configuration"} is empty; give --domain and --selector");
            return 2;
        }
        var failed = 0;
        var checkedPairs = new HashSet<(string, string, string)>();
        foreach (var entry in table.Entries)
        {
            // Entries differing only in Senders share a record and a key: one check each.
            if (!checkedPairs.Add((entry.Domain.ToLowerInvariant(), entry.Selector.ToLowerInvariant(), entry.KeyFile))) continue;
            if (await CheckAsync(resolver, entry.Domain, entry.Selector, entry.KeyFile, stdout, stderr, cancellationToken) != 0) failed++;
        }
        if (failed > 0) stderr.WriteLine($"{failed} of {checkedPairs.Count} key table entries do not match their published records");
        return failed == 0 ? 0 : 1;
    }

    private static async Task<int> CheckAsync(DnsClientResolver resolver, string domain, string selector, string? keyFile,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var name = $"{selector}._domainkey.{domain.TrimEnd('.')}";
        RSA? privateKey = null;
        if (keyFile is not null)
        {
            if (!File.Exists(keyFile))
            {
                stderr.WriteLine($"{name}: key file {keyFile} not found");
                return 1;
            }
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(keyFile) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                stderr.WriteLine($"warning: key file {keyFile} is readable or writable by group or others; chmod 600 it");
            privateKey = RSA.Create();
            try
            {
                privateKey.ImportFromPem(File.ReadAllText(keyFile));
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                privateKey.Dispose();
                stderr.WriteLine($"{name}: {keyFile} holds no PEM RSA key");
                return 1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                privateKey.Dispose();
                stderr.WriteLine($"{name}: cannot read {keyFile}: {e.Message}");
                return 1;
            }
        }

        using (privateKey)
        {
            var answer = await resolver.QueryTxtAsync(name, cancellationToken);
            if (answer.IsTemporaryError)
            {
                // Not "no record": the answer never came, so nothing is known about the record yet.
                stderr.WriteLine($"{name}: DNS error, try again ({answer.Status}{(answer.Error is null ? "" : ": " + answer.Error)})");
                return 1;
            }
            if (answer.Status != DnsStatus.Ok || answer.Records.Count == 0)
            {
                stderr.WriteLine($"{name}: no key record ({answer.Status}{(answer.Error is null ? "" : ": " + answer.Error)})");
                return 1;
            }
            if (answer.Records.Count > 1) stderr.WriteLine($"warning: {name} has {answer.Records.Count} TXT records; verifiers use the first");
            if (!PublishedKey.TryParse(answer.Records[0].Text, out var published, out var error))
            {
                stderr.WriteLine($"{name}: {error}");
                return 1;
            }
            using (published)
            {
                if (published is null)
                {
                    stderr.WriteLine($"{name}: the key is revoked (empty p=)");
                    return 1;
                }
                stdout.WriteLine($"{name}: {published.KeySize}-bit RSA key found");
                if (privateKey is null) return 0;
                if (!published.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(privateKey.ExportSubjectPublicKeyInfo()))
                {
                    stderr.WriteLine($"{name}: the published key does not match {keyFile}");
                    return 1;
                }
                stdout.WriteLine($"{name}: matches {keyFile}");
                return 0;
            }
        }
    }
}

/// <summary>
/// Just enough of the key record grammar (RFC 4870 §3.2.3) for testkey: k= and p=, and the DKIM tags of a shared
/// selector that make DomainKeys verifiers refuse the key (h= without sha1, s= not for email, v= other than DKIM1).
/// </summary>
internal static class PublishedKey
{
    /// <summary>Null <paramref name="key"/> with true: revoked.</summary>
    public static bool TryParse(string record, out RSA? key, out string? error)
    {
        key = null;
        string? k = null, p = null, v = null, h = null, s = null;
        foreach (var element in record.Split(';'))
        {
            var eq = element.IndexOf('=');
            if (eq < 0)
            {
                if (element.Trim().Length == 0) continue;
                error = $"malformed tag \"{element.Trim()}\"";
                return false;
            }
            var name = element[..eq].Trim();
            var value = element[(eq + 1)..].Trim();
            if (name == "k") k = value;
            else if (name == "p") p = value;
            else if (name == "v") v = value;
            else if (name == "h") h = value;
            else if (name == "s") s = value;
        }
        if (v is not null && v != "DKIM1")
        {
            error = $"unsupported key record version v={v}";
            return false;
        }
        if (h is not null && !Lists(h, "sha1"))
        {
            error = $"h={h} does not allow sha1, the only hash of DomainKeys: verifiers refuse this key for DomainKeys signatures (drop h= or add sha1)";
            return false;
        }
        if (s is not null && !Lists(s, "*") && !Lists(s, "email"))
        {
            error = $"s={s} says the key is not for email: verifiers refuse it";
            return false;
        }
        if (k is not null && !string.Equals(k, "rsa", StringComparison.OrdinalIgnoreCase))
        {
            error = $"unsupported key type k={k}";
            return false;
        }
        if (p is null)
        {
            error = "no p= tag";
            return false;
        }
        p = string.Concat(p.Where(c => !char.IsWhiteSpace(c)));
        error = null;
        if (p.Length == 0) return true;
        try
        {
            var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(p), out _);
            key = rsa;
            return true;
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            error = "p= is not a base64 RSA public key";
            return false;
        }
    }

    private static bool Lists(string list, string item) =>
        list.Split(':').Any(e => string.Equals(e.Trim(), item, StringComparison.OrdinalIgnoreCase));
}
