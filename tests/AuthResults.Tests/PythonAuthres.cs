using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Milters.AuthResults.Tests;

/// <summary>
/// Debian's python3-authres (1.2.0) as an independent parser, run through the system Python (/usr/bin/python3,
/// where Debian installs the module). Installed with apt-get when missing; a failed install fails the test.
/// </summary>
internal static class PythonAuthres
{
    private const string Python = "/usr/bin/python3";
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool ready;

    public static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (ready) return;
            if ((await RunAsync(Python, ["-c", "import authres"], null)).ExitCode != 0)
            {
                var install = await RunAsync("apt-get", ["install", "-y", "--no-install-recommends", "python3-authres"], null,
                    new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" });
                var check = await RunAsync(Python, ["-c", "import authres"], null);
                Assert.True(check.ExitCode == 0, $"python3-authres not importable after apt-get install:\n{install.Output}\n{check.Output}");
            }
            ready = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }

    /// <summary>Parses every field; one JSON object per field: {ok, authserv_id, results} or {ok: false, error}.</summary>
    public static async Task<JsonArray> ParseAsync(IReadOnlyList<string> fields)
    {
        await EnsureInstalledAsync();
        var script = Path.Combine(AppContext.BaseDirectory, "python", "authres_read.py");
        var run = await RunAsync(Python, [script], JsonSerializer.Serialize(fields));
        Assert.True(run.ExitCode == 0, run.Output);
        return JsonNode.Parse(run.Stdout)!.AsArray();
    }

    private static async Task<(int ExitCode, string Stdout, string Output)> RunAsync(string file, string[] args, string? stdin, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stdout + await stderr);
    }
}
