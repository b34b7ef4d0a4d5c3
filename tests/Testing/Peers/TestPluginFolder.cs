namespace Milters.Testing.Peers;

/// <summary>
/// Lays out test-only plugins (tests/TestPlugins/&lt;Name&gt;, built but not copied anywhere by the build) as a drop-in
/// plugins folder: DIR/&lt;Name&gt;/ with the plugin's dll and dependencies, without Milters.Abstractions (the host's).
/// </summary>
public static class TestPluginFolder
{
    /// <summary>Copies the built test plugin NAME into PLUGINSDIR/NAME and returns that folder.</summary>
    public static string LayOut(string name, string pluginsDir)
    {
        var source = RepoPaths.TestPluginOutput(name);
        if (!File.Exists(Path.Combine(source, name + ".dll")))
            throw new PeerException($"test plugin {name} is not built: {Path.Combine(source, name + ".dll")} is missing (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");
        var target = Path.Combine(pluginsDir, name);
        foreach (var file in System.IO.Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var fileName = Path.GetFileName(file);
            if (fileName.StartsWith("Milters.Abstractions.", StringComparison.Ordinal)) continue;
            var dest = Path.Combine(target, Path.GetRelativePath(source, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest, overwrite: true);
        }
        return target;
    }
}
