using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Milters.Host.Hosting;

/// <summary>
/// Builds the configuration, lowest priority first: the JSON file, environment variables (MILTERS_),
/// the friendly command-line options, <c>--Section:Key=value</c> overrides, then settings translated from
/// an old filter's command line (dk-filter/sid-filter), which win. Re-run on SIGHUP.
/// </summary>
public sealed class MiltersConfiguration
{
    public const string SystemConfigPath = "/etc/milters/milters.json";
    public const string EnvironmentPrefix = "MILTERS_";

    private MiltersConfiguration(IConfigurationRoot root, string? file)
    {
        Root = root;
        File = file;
    }

    public IConfigurationRoot Root { get; }

    /// <summary>The JSON file read, or null when none was found (built-in defaults only).</summary>
    public string? File { get; }

    /// <summary>The file to read: the one given, else /etc/milters/milters.json, else milters.json next to the binary.</summary>
    public static string? ResolveFile(string? explicitPath)
    {
        if (explicitPath is not null) return Path.GetFullPath(explicitPath);
        if (System.IO.File.Exists(SystemConfigPath)) return SystemConfigPath;
        var shipped = Path.Combine(AppContext.BaseDirectory, "milters.json");
        return System.IO.File.Exists(shipped) ? shipped : null;
    }

    public static MiltersConfiguration Build(HostCommandLine commandLine, IReadOnlyDictionary<string, string?>? legacySettings = null)
    {
        // An old command line is the whole configuration, as it was for dk-filter and sid-filter: the installed
        // milters.json (signing daemons, strict keys, a key table of its own) would change what the flags mean.
        // --config still layers the flags over a file the administrator names.
        var file = legacySettings is not null && commandLine.ConfigPath is null ? null : ResolveFile(commandLine.ConfigPath);
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            CheckReadable(file);
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddInMemoryCollection(commandLine.Settings);
        if (commandLine.Overrides.Count > 0) builder.AddCommandLine(commandLine.Overrides.ToArray());
        if (legacySettings is not null) builder.AddInMemoryCollection(legacySettings);

        try
        {
            return new MiltersConfiguration(builder.Build(), file);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new StartupException($"cannot read configuration file {file}: {Innermost(e).Message}", e);
        }
    }

    /// <summary>Reads and parses the file once ourselves so the error names the file, the line and the problem.</summary>
    private static void CheckReadable(string file)
    {
        if (Directory.Exists(file)) throw new StartupException($"cannot read configuration file {file}: it is a directory");
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(file);
        }
        catch (FileNotFoundException) { throw new StartupException($"cannot read configuration file {file}: file not found"); }
        catch (DirectoryNotFoundException) { throw new StartupException($"cannot read configuration file {file}: directory not found"); }
        catch (UnauthorizedAccessException) { throw new StartupException($"cannot read configuration file {file}: permission denied"); }
        catch (IOException e) { throw new StartupException($"cannot read configuration file {file}: {e.Message}"); }

        try
        {
            // The same leniency as Microsoft.Extensions.Configuration.Json: comments and trailing commas.
            using var doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new StartupException($"configuration file {file} is not valid: the top level must be a JSON object {{ … }}");
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            throw new StartupException($"configuration file {file} is not valid JSON{where}: {FirstSentence(e.Message)}");
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Trim();
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
