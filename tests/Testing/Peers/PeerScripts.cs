namespace Milters.Testing.Peers;

/// <summary>
/// The peer scripts in tests/peers (see tests/peers/README.md). Each one installs its Debian packages when
/// they are missing, keeps its state in a directory and has start/stop commands.
/// </summary>
public static class PeerScripts
{
    /// <summary>tests/peers, checked to exist.</summary>
    public static string Dir
    {
        get
        {
            var dir = RepoPaths.Peers;
            if (!File.Exists(System.IO.Path.Combine(dir, "lib.sh")))
                throw new DirectoryNotFoundException($"peer scripts not found in {dir}");
            return dir;
        }
    }

    /// <summary>Full path of a script or file below tests/peers, e.g. "dns.sh" or "miltertest/milters-message.lua".</summary>
    public static string Path(string relative)
    {
        var p = System.IO.Path.Combine(Dir, relative);
        if (!File.Exists(p)) throw new FileNotFoundException($"peer file not found: {p}", p);
        return p;
    }

    /// <summary>Runs <c>tests/peers/SCRIPT ARGS</c> (bash, so the executable bit does not matter).</summary>
    public static ProcessResult Run(string script, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null,
        IReadOnlyDictionary<string, string>? env = null) =>
        ProcessRunner.Run("bash", [Path(script), .. args], timeout ?? TimeSpan.FromMinutes(5), stdin, env);

    /// <summary>Like <see cref="Run"/> but throws with the script's output when it fails.</summary>
    public static ProcessResult RunChecked(string script, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null)
    {
        var r = Run(script, args, timeout, stdin);
        if (!r.Succeeded) throw new PeerException($"peer script failed:\n{r}");
        return r;
    }
}

/// <summary>A peer (DNS server, MTA, milter process) could not be started or used; the message carries its output.</summary>
public sealed class PeerException(string message) : Exception(message);
