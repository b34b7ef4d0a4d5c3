namespace Milters.Host.Hosting;

/// <summary><c>-P FILE</c>: the process id for init scripts written the old way; removed on a clean exit.</summary>
public sealed class PidFile
{
    private PidFile(string path) => Path = path;

    public string Path { get; }

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

    /// <summary>
    /// Removes the file; null when done, else why not. After <c>-u</c> the directory may not be ours to change
    /// (a root-owned /var/run): the file, handed over to the user at start, is then emptied instead, so an init
    /// script does not signal whatever process gets this pid next.
    /// </summary>
    public string? Remove()
    {
        try
        {
            File.Delete(Path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.WriteAllText(Path, "");
                return $"could not remove pid file {Path} ({e.Message}), emptied it; let the user of -u write to its directory (e.g. /run/milters)";
            }
            catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException)
            {
                return $"could not remove pid file {Path}: {e.Message}; it names a process that is gone";
            }
        }
    }
}
