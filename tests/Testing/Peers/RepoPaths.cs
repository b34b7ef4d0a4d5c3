namespace Milters.Testing.Peers;

/// <summary>
/// Where things are in the repository, found from the running test assembly (never from the working
/// directory, which differs between <c>dotnet test</c>, IDEs and CI).
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> root = new(FindRoot);

    /// <summary>The directory holding Milters.sln.</summary>
    public static string Root => root.Value;

    public static string Tests => Path.Combine(Root, "tests");

    /// <summary>tests/data: test data copied into the repository, one folder per area.</summary>
    public static string TestData => Path.Combine(Tests, "data");

    /// <summary>tests/peers: the scripts that run real peers (DNS server, MTAs, OpenDKIM, …).</summary>
    public static string Peers => Path.Combine(Tests, "peers");

    /// <summary>
    /// The build configuration of the running test assembly (Debug or Release), taken from its output path
    /// <c>bin/&lt;Configuration&gt;/net10.0/</c>, so fixtures start the host built in the same configuration.
    /// <c>MILTERS_CONFIGURATION</c> overrides.
    /// </summary>
    public static string Configuration
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("MILTERS_CONFIGURATION");
            if (!string.IsNullOrEmpty(env)) return env;
            var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            // .../bin/<Configuration>/<tfm>
            return dir.Parent is { Parent.Name: "bin" } cfg ? cfg.Name : "Debug";
        }
    }

    /// <summary>The host's build output, <c>src/Host/bin/&lt;Configuration&gt;/net10.0/</c>.</summary>
    public static string HostOutput => Path.Combine(Root, "src", "Host", "bin", Configuration, "net10.0");

    /// <summary>The output folder of a test-only plugin project under tests/TestPlugins (not laid out anywhere by the build).</summary>
    public static string TestPluginOutput(string name) =>
        Path.Combine(Tests, "TestPlugins", name, "bin", Configuration, "net10.0");

    /// <summary>A file under tests/data; throws with the full path when it is missing.</summary>
    public static string Data(params string[] parts)
    {
        var path = Path.Combine([TestData, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"test data not found: {path}", path);
        return path;
    }

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("MILTERS_REPO_ROOT");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Milters.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException(
            $"repository root (the folder with Milters.sln) not found above {AppContext.BaseDirectory}; set MILTERS_REPO_ROOT");
    }
}
