namespace Milters.Host.Hosting;

/// <summary><c>-P FILE</c>: the process id for init scripts written the old way; removed on a clean exit.</summary>
public sealed class PidFile
{
    private PidFile(string path) => Path = path;

    public string Path { get; }

    /// <summary>
    /// Written as a new file (what was there, a stale file or a symbolic link, is removed first, and a link put back
    /// in between makes the start fail): root must never write through a link that the user of <c>-u</c> could have
    /// planted in its directory. The file stays root's, as init scripts (start-stop-daemon) insist.
    /// </summary>
    public static PidFile Write(string path)
    {
        try
        {
            File.Delete(path);
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"cannot write pid file {path}: {e.Message}", e);
        }
        return new PidFile(path);
    }

    /// <summary>
    /// Removes the file if it still names this process; null when done (or not ours), else why not (after <c>-u</c>
    /// its directory may not be ours to change). A successor started while this instance drained has written its
    /// own pid here: deleting that left it running with no pid file, so a pid-file reload or stop missed it and the
    /// next start found the port taken (an independent review's restart under load).
    /// </summary>
    public string? Remove()
    {
        try
        {
            string text;
            try
            {
                text = File.ReadAllText(Path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
            if (text.Trim() != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)) return null;
            File.Delete(Path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"could not remove pid file {Path} ({e.Message}); it names a process that is gone. With -u, let that user write to the file's directory (e.g. /run/milters)";
        }
    }
}
