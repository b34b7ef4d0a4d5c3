namespace Milters.Testing.Peers;

/// <summary>
/// A unique directory under /tmp/milters-tests for one fixture (peer state, configs, sockets), so tests of
/// several projects can run at the same time. Short paths on purpose: unix socket paths are limited to
/// 107 bytes. Removed on Dispose unless <c>MILTERS_KEEP_TEMP=1</c> (for post-mortems).
/// </summary>
public sealed class TempDir : IDisposable
{
    public static readonly string Base = "/tmp/milters-tests";

    public TempDir(string prefix)
    {
        Directory.CreateDirectory(Base);
        Path = System.IO.Path.Combine(Base, $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("MILTERS_KEEP_TEMP") == "1") return;
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* a daemon may still be writing its last log line; /tmp is cleaned anyway */ }
        catch (UnauthorizedAccessException) { }
    }

    public override string ToString() => Path;
}
