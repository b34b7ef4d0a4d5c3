using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Milters.Testing.Peers;

/// <summary>How to start the built milter host.</summary>
public sealed class MilterProcessOptions
{
    /// <summary>
    /// The JSON configuration (schema in the README: Listen, Milter, Plugins, Dns, Keys, Logging, one section per plugin).
    /// Listen:Socket is set by <see cref="MilterProcess"/> from <see cref="Socket"/>.
    /// </summary>
    public JsonObject Config { get; set; } = new();

    /// <summary>Where the milter listens; null = a free TCP port on 127.0.0.1 (or a unix socket with <see cref="UseUnixSocket"/>).</summary>
    public MilterSocket? Socket { get; set; }

    /// <summary>Listen on a unix socket in the process's temp dir instead of TCP.</summary>
    public bool UseUnixSocket { get; set; }

    /// <summary>Extra command-line arguments after <c>--config PATH</c> (e.g. <c>--nameserver 127.0.0.1:5353</c>).</summary>
    public List<string> Args { get; } = new();

    /// <summary>The command word before everything else (<c>dk-filter</c> for `milters dk-filter …`); null = run.</summary>
    public string? Command { get; set; }

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Test-only plugins (tests/TestPlugins/&lt;Name&gt;) laid out into the process's own plugins folder, which becomes
    /// Plugins:Directory unless the config names one. Plugins:Order is not touched: the config says it.
    /// </summary>
    public List<string> TestPlugins { get; } = new();
}

/// <summary>
/// The BUILT host (<c>src/Host/bin/&lt;Configuration&gt;/net10.0/milters</c>, the test assembly's configuration) run as a
/// real process with a temporary JSON config: started, waited for until it accepts connections, its stdout and stderr
/// captured; SIGTERM on Dispose (then waits for it to finish the messages in flight and exit).
/// </summary>
public sealed class MilterProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TempDir dir;
    private bool disposed;

    private MilterProcess(Process process, TempDir dir, MilterSocket socket, string configPath)
    {
        this.process = process;
        this.dir = dir;
        Socket = socket;
        ConfigPath = configPath;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    public MilterSocket Socket { get; }

    public string ConfigPath { get; }

    /// <summary>The process's temp dir (config, unix socket).</summary>
    public string Directory => dir.Path;

    public int ProcessId => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Everything written to stdout and stderr so far, interleaved in arrival order.</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>The host executable the fixtures run: the apphost <c>milters</c>, else <c>dotnet milters.dll</c>.</summary>
    public static (string File, string[] Prefix) HostCommand()
    {
        var outDir = RepoPaths.HostOutput;
        var apphost = Path.Combine(outDir, "milters");
        if (File.Exists(apphost)) return (apphost, []);
        var dll = Path.Combine(outDir, "milters.dll");
        if (File.Exists(dll)) return ("dotnet", [dll]);
        throw new PeerException($"the milter host is not built: neither {apphost} nor {dll} exists (run: dotnet build Milters.sln -c {RepoPaths.Configuration})");
    }

    /// <summary>Runs the built host with ARGS to completion (for commands such as check-config).</summary>
    public static ProcessResult RunCommand(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var (file, prefix) = HostCommand();
        return ProcessRunner.Run(file, [.. prefix, .. args], timeout ?? TimeSpan.FromMinutes(1));
    }

    public static MilterProcess Start(MilterProcessOptions options)
    {
        var dir = new TempDir("milter");
        try
        {
            string lastOutput = "";
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var socket = options.Socket ?? (options.UseUnixSocket ? MilterSocket.Unix(dir["milter.sock"]) : MilterSocket.FreeInet());
                var m = TryStart(options, dir, socket, out lastOutput);
                if (m != null) return m;
                // only a port chosen here can be chosen again
                if (options.Socket != null || !lastOutput.Contains("address already in use", StringComparison.OrdinalIgnoreCase)) break;
            }
            throw new PeerException($"the milter did not start:\n{lastOutput}");
        }
        catch
        {
            dir.Dispose();
            throw;
        }
    }

    private static MilterProcess? TryStart(MilterProcessOptions options, TempDir dir, MilterSocket socket, out string failure)
    {
        var config = (JsonObject)options.Config.DeepClone();
        if (config["Listen"] is not JsonObject listen) config["Listen"] = listen = new JsonObject();
        listen["Socket"] = socket.Spec;
        // Postfix's smtpd runs as user postfix: it must be able to connect to a socket root created
        if (socket.UnixPath != null && listen["UnixSocketMode"] is null) listen["UnixSocketMode"] = "0666";
        if (options.TestPlugins.Count > 0)
        {
            var pluginsDir = dir["plugins"];
            foreach (var name in options.TestPlugins) TestPluginFolder.LayOut(name, pluginsDir);
            if (config["Plugins"] is not JsonObject plugins) config["Plugins"] = plugins = new JsonObject();
            if (plugins["Directory"] is null) plugins["Directory"] = pluginsDir;
        }
        var configPath = dir["milters.json"];
        File.WriteAllText(configPath, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        var (file, prefix) = HostCommand();
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dir.Path,
        };
        foreach (var a in prefix) psi.ArgumentList.Add(a);
        if (options.Command is not null) psi.ArgumentList.Add(options.Command);
        // The old filters' commands go into the background without -f (as dk-filter did); this process is the supervisor.
        if (options.Command is "dk-filter" or "sid-filter") psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(configPath);
        foreach (var a in options.Args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";

        var p = new Process { StartInfo = psi };
        var m = new MilterProcess(p, dir, socket, configPath);
        m.Append("$ " + file + " " + string.Join(' ', psi.ArgumentList.Select(ProcessRunner.Quote)));
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.StandardInput.Close();

        var until = DateTime.UtcNow + options.StartTimeout;
        while (DateTime.UtcNow < until)
        {
            if (p.HasExited)
            {
                p.WaitForExit();
                failure = $"exited with code {p.ExitCode} before accepting connections on {socket}:\n{m.Output}\nconfig {configPath}:\n{File.ReadAllText(configPath)}";
                p.Dispose();
                return null;
            }
            // The port was free when chosen, but another test's server may take it before the milter binds it:
            // then the connection succeeds and the milter exits with "address already in use". Only a listening
            // socket that belongs to this process counts.
            if (Accepts(socket) && (socket.Port is not int port || ListensOn(p.Id, port))) { failure = ""; return m; }
            Thread.Sleep(100);
        }
        failure = $"did not accept connections on {socket} within {options.StartTimeout.TotalSeconds:0} s:\n{m.Output}";
        m.Kill();
        p.Dispose();
        return null;
    }

    /// <summary>True when process PID holds a TCP socket listening on PORT (Linux: /proc/net/tcp* inodes against /proc/PID/fd).</summary>
    public static bool ListensOn(int pid, int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || f[3] != "0A") continue; // 0A: TCP_LISTEN
                var local = f[1];
                if (Convert.ToInt32(local[(local.LastIndexOf(':') + 1)..], 16) == port) inodes.Add(f[9]);
            }
        }
        if (inodes.Count == 0) return false;
        try
        {
            foreach (var fd in System.IO.Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget; // "socket:[INODE]"
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && inodes.Contains(target[8..^1])) return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return false;
    }

    /// <summary>True when a connection to SOCKET succeeds (it is closed again at once).</summary>
    public static bool Accepts(MilterSocket socket)
    {
        try
        {
            if (socket.Port is int port)
            {
                using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                c.Connect(System.Net.IPAddress.Loopback, port);
            }
            else
            {
                if (!File.Exists(socket.UnixPath!)) return false;
                using var c = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                c.Connect(new UnixDomainSocketEndPoint(socket.UnixPath!));
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Waits until the output contains TEXT (throws with the output on timeout).</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"milter output did not contain '{text}' within {timeout.TotalSeconds:0} s:\n{Output}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Sends SIGTERM and waits for the exit; returns the exit code (or throws with the output after TIMEOUT).</summary>
    public int Stop(TimeSpan? timeout = null)
    {
        if (!process.HasExited) _ = kill(process.Id, SIGTERM);
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
        {
            Kill();
            throw new TimeoutException($"the milter did not exit within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s of SIGTERM:\n{Output}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Sends a signal (e.g. SIGHUP = 1) to the process.</summary>
    public void Signal(int signal) => _ = kill(process.Id, signal);

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        try
        {
            if (!process.HasExited) Stop();
        }
        catch (TimeoutException) { /* killed; the test has its result already */ }
        catch (InvalidOperationException) { }
        process.Dispose();
        dir.Dispose();
    }

    public override string ToString() => $"milter pid {process.Id} on {Socket}";

    private void Kill()
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    private void Append(string? line)
    {
        if (line == null) return;
        lock (output) output.Append(line).Append('\n');
    }

    public const int SIGHUP = 1;
    public const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
