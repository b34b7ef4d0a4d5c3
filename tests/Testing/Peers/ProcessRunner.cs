using System.Diagnostics;
using System.Text;

namespace Milters.Testing.Peers;

/// <summary>The outcome of one finished process: exit code and everything it wrote.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>stdout and stderr together, for failure messages.</summary>
    public string Output => StandardError.Length == 0 ? StandardOutput : StandardOutput + StandardError;

    public override string ToString() =>
        $"$ {Command}\n(exit {(TimedOut ? "timeout" : ExitCode.ToString())})\n{Output}";
}

/// <summary>Runs a command to completion with a timeout, capturing stdout and stderr (no shell involved).</summary>
public static class ProcessRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    public static ProcessResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null,
        string? stdin = null, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var command = file + " " + string.Join(' ', psi.ArgumentList.Select(Quote));

        using var p = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (stdin != null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();

        var timedOut = !p.WaitForExit(timeout ?? DefaultTimeout);
        if (timedOut)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        p.WaitForExit(); // drains the async readers
        lock (stdout) lock (stderr)
            return new ProcessResult(command, timedOut ? -1 : p.ExitCode, stdout.ToString(), stderr.ToString(), timedOut);
    }

    /// <summary>One word for a POSIX shell: as it is when safe, else in single quotes.</summary>
    public static string Quote(string a) =>
        a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=@,+%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";
}
