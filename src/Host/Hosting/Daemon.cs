using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Milters.Host.Hosting;

/// <summary>
/// dk-filter and sid-filter went into the background unless given <c>-f</c>, and what administrators built on them
/// relies on it: an rc.local line without <c>&amp;</c>, rc scripts, start-stop-daemon without <c>--background</c>,
/// systemd units of <c>Type=forking</c> — each waits for the command to return. .NET cannot fork(2) a running runtime,
/// so the same effect comes from starting the program again as the daemon: this process passes on what the daemon
/// writes until it serves (or fails), then returns its status. The daemon leaves the session (setsid) and puts
/// /dev/null on its standard descriptors once it serves, as daemon(3) does.
/// </summary>
public static class Daemon
{
    /// <summary>Set in the daemon's environment: it is the background copy and says on its standard output when it serves.</summary>
    public const string CopyVariable = "MILTERS_DAEMON_COPY";

    private const string ReadyLine = "milters: daemon serving";

    /// <summary>This process is the background copy started by <see cref="StartAsync"/> (read once, then cleared).</summary>
    public static bool IsDaemonCopy { get; } = TakeCopyVariable();

    /// <summary>Linux only (setsid, /proc/self/fd); elsewhere the command stays in the foreground.</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    private static bool TakeCopyVariable()
    {
        var copy = Environment.GetEnvironmentVariable(CopyVariable) == "1";
        // Plugins and programs the milter starts need not see it.
        if (copy) Environment.SetEnvironmentVariable(CopyVariable, null);
        return copy;
    }

    /// <summary>
    /// Starts this program again with <paramref name="args"/> as the daemon and waits until it serves (returns 0) or
    /// exits (returns its status); what it writes meanwhile goes to <paramref name="stdout"/> / <paramref name="stderr"/>.
    /// </summary>
    public static async Task<int> StartAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var psi = ThisProgram();
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        psi.Environment[CopyVariable] = "1";
        // Whatever descriptors our caller left open (a shell's `3>&1`, a harness's pipe) must not live on in the daemon:
        // a caller reading them would wait for the daemon's end (found by a review: `x=$(… 3>&1)` returned after 613 s).
        CloseOnExecAboveStandard();

        using var daemon = Process.Start(psi) ?? throw new StartupException($"cannot start {psi.FileName} in the background");
        daemon.StandardInput.Close();
        var relayErrors = RelayAsync(daemon.StandardError, stderr);
        while (await daemon.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line == ReadyLine)
            {
                // The daemon wrote its start-up lines before this one (ReportServing waits for them) and has let go of
                // the pipe: the relay ends at once.
                await Task.WhenAny(relayErrors, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken)).ConfigureAwait(false);
                return 0;
            }
            await stdout.WriteLineAsync(line).ConfigureAwait(false);
        }
        await daemon.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await relayErrors.ConfigureAwait(false);
        // A daemon that closed its output without saying it serves and then exited 0 did not serve.
        return daemon.ExitCode == 0 ? 1 : daemon.ExitCode;
    }

    /// <summary>
    /// In the daemon: the listener is up. Says so to the process that started it, then puts /dev/null on standard
    /// input, output and error — that process exits now, and later writes must not meet a closed pipe.
    /// </summary>
    /// <param name="consoleLogging">The log goes to standard error (not syslog): its start-up lines are written first.</param>
    public static void ReportServing(bool consoleLogging)
    {
        // The console logger writes from a queue of its own: wait until it has written the "ready" line (the last one
        // before this call), else the start-up lines meet /dev/null (a review lost up to all of them).
        if (consoleLogging && consoleWatch is { } watch) watch.WaitForReadyLine();
        Console.Error.Flush();
        var devNull = open("/dev/null", O_RDWR);
        if (devNull < 0)
        {
            // Without /dev/null the descriptors stay; the starter must still hear that we serve, or it waits for ever.
            Say(1);
            return;
        }
        // .NET's Console keeps duplicates of the standard descriptors: every descriptor on the same pipes goes too.
        var pipes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in (int[])[0, 1, 2])
            if (LinkOf(fd) is { } target) pipes.Add(target);
        var starter = dup(1);
        foreach (var fd in OpenDescriptors())
        {
            if (fd == starter || fd == devNull) continue;
            if (fd <= 2 || (LinkOf(fd) is { } target && pipes.Contains(target))) dup2(devNull, fd);
        }
        if (devNull > 2) close(devNull);
        if (starter < 0) return;
        Say(starter);
        close(starter);
    }

    private static void Say(int fd)
    {
        var bytes = Encoding.ASCII.GetBytes(ReadyLine + "\n");
        _ = write(fd, bytes, (nuint)bytes.Length);
    }

    private static ConsoleWatch? consoleWatch;

    /// <summary>In the daemon, before logging is set up: standard error goes through a writer that sees the "ready" line pass.</summary>
    public static void WatchConsole()
    {
        consoleWatch = new ConsoleWatch(Console.Error, $"ready (pid {Environment.ProcessId})");
        Console.SetError(consoleWatch);
    }

    /// <summary>Passes everything on; <see cref="Seen"/> is set once a write holding the marker has gone through.</summary>
    private sealed class ConsoleWatch(TextWriter inner, string marker) : TextWriter
    {
        public ManualResetEventSlim Seen { get; } = new();

        private long lastWrite = Environment.TickCount64;

        /// <summary>
        /// Until the "ready" line has gone through — or, when a log level above Information keeps it out, until the
        /// writer has been quiet for half a second (its queue is empty then) — at most 2 s.
        /// </summary>
        public void WaitForReadyLine()
        {
            var until = Environment.TickCount64 + 2000;
            while (!Seen.Wait(25))
            {
                var now = Environment.TickCount64;
                if (now >= until || now - Interlocked.Read(ref lastWrite) >= 500) return;
            }
        }

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            Interlocked.Exchange(ref lastWrite, Environment.TickCount64);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            inner.Write(buffer, index, count);
            Interlocked.Exchange(ref lastWrite, Environment.TickCount64);
        }

        public override void Write(string? value)
        {
            inner.Write(value);
            Interlocked.Exchange(ref lastWrite, Environment.TickCount64);
            if (value is not null && !Seen.IsSet && value.Contains(marker, StringComparison.Ordinal))
            {
                inner.Flush();
                Seen.Set();
            }
        }

        public override void WriteLine(string? value)
        {
            Write(value);
            inner.WriteLine();
        }

        public override void Flush() => inner.Flush();
    }

    /// <summary>Marks every descriptor above 2 close-on-exec (the runtime's own are already; the caller's are not).</summary>
    private static void CloseOnExecAboveStandard()
    {
        foreach (var fd in OpenDescriptors())
            if (fd > 2) _ = fcntl(fd, F_SETFD, FD_CLOEXEC);
    }

    private static string? LinkOf(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static List<int> OpenDescriptors()
    {
        var fds = new List<int> { 0, 1, 2 };
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
                if (int.TryParse(Path.GetFileName(entry), out var fd) && fd > 2) fds.Add(fd);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without /proc only the three standard descriptors are replaced; the Console's copies then meet a closed
            // pipe, which .NET ignores (EPIPE).
        }
        return fds;
    }

    /// <summary>In the daemon, first thing: a session of its own, so the terminal's hang-up and Ctrl-C no longer reach it.</summary>
    public static void LeaveSession() => _ = setsid();

    private static ProcessStartInfo ThisProgram()
    {
        var path = Environment.ProcessPath ?? throw new StartupException("cannot tell which program this is to start it in the background; add -f");
        // Run through `dotnet milters.dll`: the host program is dotnet, and the dll comes first.
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            var psi = new ProcessStartInfo(path);
            psi.ArgumentList.Add(typeof(Daemon).Assembly.Location);
            return psi;
        }
        return new ProcessStartInfo(path);
    }

    private static async Task RelayAsync(StreamReader from, TextWriter to)
    {
        while (await from.ReadLineAsync().ConfigureAwait(false) is { } line)
            await to.WriteLineAsync(line).ConfigureAwait(false);
    }

    private const int O_RDWR = 2;
    private const int F_SETFD = 2;
    private const int FD_CLOEXEC = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int cmd, int arg);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int dup2(int fd, int fd2);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, byte[] buffer, nuint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsid();
}
