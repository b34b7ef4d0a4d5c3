namespace Milters.Host.Hosting;

/// <summary><c>-P FILE</c>: the process id for init scripts written the old way; removed on a clean exit.</summary>
public sealed class PidFile : IDisposable
{
    private readonly string path;

    private PidFile(string path) => this.path = path;

    public static PidFile Write(string path)
    {
        try
        {
            File.WriteAllText(path, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"cannot write pid file {path}: {e.Message}", e);
        }
        return new PidFile(path);
    }

    public void Dispose()
    {
        // After dropping privileges the file may no longer be ours to remove; a stale pid file is harmless.
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
