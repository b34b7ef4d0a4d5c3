namespace Milters.Testing.Peers;

/// <summary>
/// OpenDKIM's miltertest (package miltertest) running a Lua script from tests/peers/miltertest against a milter socket.
/// The scripts print "*** PASS" / "*** FAIL: reason" and exit 0 / 1.
/// </summary>
public static class Miltertest
{
    /// <summary>Runs tests/peers/miltertest/SCRIPT with -D socket=SOCKET and each -D NAME=VALUE of DEFINES.</summary>
    public static ProcessResult Run(string script, MilterSocket socket, IReadOnlyDictionary<string, string>? defines = null,
        TimeSpan? timeout = null)
    {
        var args = new List<string> { "-s", PeerScripts.Path("miltertest/" + script), "-D", "socket=" + socket.MiltertestSpec };
        foreach (var (k, v) in defines ?? new Dictionary<string, string>()) args.AddRange(["-D", $"{k}={v}"]);
        return ProcessRunner.Run("miltertest", args, timeout ?? TimeSpan.FromMinutes(1));
    }
}
