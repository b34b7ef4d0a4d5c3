using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Milters.Host.Hosting;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

/// <summary>The built `milters` run as a process: exit codes and the one-line errors an administrator sees.</summary>
public class CommandLineProcessTests : IDisposable
{
    private readonly TempDir dir = new("hcli");

    public void Dispose() => dir.Dispose();

    /// <summary>A config with the HeaderStamp test plugin laid out in this test's own plugins folder.</summary>
    private string Config(Action<JsonObject>? edit = null)
    {
        var plugins = dir["plugins"];
        if (!Directory.Exists(Path.Combine(plugins, "HeaderStamp"))) TestPluginFolder.LayOut("HeaderStamp", plugins);
        var config = new JsonObject
        {
            ["Plugins"] = new JsonObject { ["Directory"] = plugins, ["Order"] = new JsonArray("HeaderStamp") },
            ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
        };
        edit?.Invoke(config);
        var path = dir["milters.json"];
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }

    private static ProcessResult Milters(params string[] args) => MilterProcess.RunCommand(args, TimeSpan.FromSeconds(90));

    private static void AssertOneLineError(ProcessResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        Assert.False(result.TimedOut, result.ToString());
        Assert.Equal(expected, result.StandardError.Trim());
    }

    [Fact]
    public void Port_in_use_is_one_clear_line()
    {
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupier.Listen();
        var port = ((IPEndPoint)occupier.LocalEndPoint!).Port;

        var result = Milters("--config", Config(), "-p", $"inet:{port}@127.0.0.1");
        AssertOneLineError(result, $"cannot listen on inet:{port}@127.0.0.1: address already in use");
    }

    [Fact]
    public void With_syslog_the_startup_failure_also_reaches_the_mail_log()
    {
        using var occupier = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupier.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupier.Listen();
        var port = ((IPEndPoint)occupier.LocalEndPoint!).Port;
        using var sink = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        sink.Bind(new UnixDomainSocketEndPoint(dir["log.sock"]));

        var result = Milters("--config", Config(), "-l", "--Logging:SyslogSocket=" + dir["log.sock"], "--Logging:SyslogIdentity=mailfilter", "-p", $"inet:{port}@127.0.0.1");
        AssertOneLineError(result, $"cannot listen on inet:{port}@127.0.0.1: address already in use");

        var lines = new List<string>();
        var buffer = new byte[4096];
        while (sink.Available > 0) lines.Add(System.Text.Encoding.UTF8.GetString(buffer, 0, sink.Receive(buffer)));
        Assert.Contains(lines, l => l.StartsWith("<18>", StringComparison.Ordinal) // mail.crit
            && l.Contains(" mailfilter[", StringComparison.Ordinal)
            && l.EndsWith($"]: cannot listen on inet:{port}@127.0.0.1: address already in use", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_config_file_is_named()
    {
        var path = dir["absent.json"];
        AssertOneLineError(Milters("--config", path), $"cannot read configuration file {path}: file not found");
    }

    [Fact]
    public void Malformed_config_file_is_named_with_the_line()
    {
        var path = dir["broken.json"];
        File.WriteAllText(path, "{\n  \"Listen\": {\n    \"Socket\": inet:8891\n  }\n}\n");
        var result = Milters("check-config", "--config", path);
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.StartsWith($"configuration file {path} is not valid JSON at line 3", line);
    }

    [Fact]
    public void Unknown_plugin_names_it_and_the_folder()
    {
        var path = Config(c => c["Plugins"]!["Order"] = new JsonArray("HeaderStamp", "NoSuchPlugin"));
        AssertOneLineError(Milters("check-config", "--config", path),
            $"plugin \"NoSuchPlugin\" in Plugins:Order was not found in {dir["plugins"]} (plugin folders there: HeaderStamp)");
    }

    [Fact]
    public void Bad_socket_spec_says_what_is_wrong()
    {
        AssertOneLineError(Milters("--config", Config(), "-p", "inet:88x1@127.0.0.1"),
            "bad socket specification \"inet:88x1@127.0.0.1\": \"88x1\" is not a port number (1-65535)");
    }

    [Fact]
    public void Unknown_option_and_command_fail()
    {
        AssertOneLineError(Milters("--config", Config(), "-Z"), "unknown option \"-Z\" (see milters --help)");
        var result = Milters("frobnicate");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("unknown command \"frobnicate\"", result.StandardError);
    }

    [Fact]
    public void Check_config_prints_socket_and_plugin_order()
    {
        var path = Config(c =>
        {
            c["Listen"] = new JsonObject { ["Socket"] = "inet:18891@127.0.0.1" };
            c["HeaderStamp"] = new JsonObject { ["OnError"] = "Continue" };
        });
        var result = Milters("check-config", "--config", path);
        Assert.True(result.Succeeded, result.ToString());
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains($"configuration: {path}", lines);
        Assert.Contains("socket: inet:18891@127.0.0.1", lines);
        Assert.Contains("plugin order: HeaderStamp (on error: Continue)", lines);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^plugin versions: HeaderStamp \d+\.\d+\.\d+$"));
        // The timeout an administrator compares with the MTA's (libmilter's default).
        Assert.Contains("milter: connection timeout 02:00:10, frames up to 1048576 bytes, progress every 00:00:30", lines);
        Assert.Equal("configuration OK", lines[^1]);
    }

    [Fact]
    public void Check_config_warns_about_settings_nobody_reads()
    {
        var path = Config(c =>
        {
            c["Listen"] = new JsonObject { ["Sockett"] = "inet:1@127.0.0.1" };
            c["headerstamp"] = new JsonObject { ["Value"] = "case-insensitive, so read" };
            c["DomainKeys"] = new JsonObject { ["Mode"] = "s" };
            c["Milter"] = new JsonObject { ["MaxHeader"] = 5, ["maxrecipients"] = 10 };
            c["Metrics"] = new JsonObject { ["Interval"] = "00:01:00" };
            c["Logging"] = new JsonObject { ["Syslog"] = false, ["LogLevels"] = new JsonObject { ["Default"] = "Debug" } };
        });
        var result = Milters("check-config", "--config", path);
        Assert.True(result.Succeeded, result.ToString());
        var warnings = result.StandardOutput.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("warning: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "warning: unknown setting Milter:MaxHeader (known in Milter: MaxFrameSize, MaxHeaders, MaxHeaderLength, MaxHeaderBytes, MaxRecipients, MaxCommandLength, MaxMacros, MaxMacroBytes, ConnectionTimeout, ProgressInterval)",
            "warning: unknown setting Metrics:Interval (known in Metrics: SummaryInterval)",
            "warning: unknown setting Logging:LogLevels (known in Logging: LogLevel, Syslog, SyslogSocket, SyslogIdentity, Console)",
            "warning: unknown setting Listen:Sockett (known in Listen: Socket, UnixSocketMode, AllowedClients, Backlog, DrainTimeout, MaxConnections, InlineCompletions, EventLoops)",
            "warning: section \"DomainKeys\" is not read: no host setting and no plugin in Plugins:Order has that name",
        ], warnings.Order(StringComparer.Ordinal).Reverse());
    }

    /// <summary>The repository's plugins list their settings: a misspelled one is named, a differently-cased one is read.</summary>
    [Fact]
    public void Check_config_warns_about_misspelled_plugin_settings()
    {
        var path = dir["plugins-typos.json"];
        File.WriteAllText(path, new JsonObject
        {
            ["Plugins"] = new JsonObject { ["Order"] = new JsonArray("DomainKeys", "SenderId", "AuthResults") },
            ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
            ["DomainKeys"] = new JsonObject { ["Mode"] = "v", ["Canonicalisation"] = "nofws", ["Actions"] = new JsonObject { ["BadSignature"] = "Accept" } },
            ["SenderId"] = new JsonObject { ["RejectMod"] = "2", ["testmode"] = "true", ["OnError"] = "Continue", ["Timeout"] = "00:00:30" },
            ["AuthResults"] = new JsonObject { ["AuthservID"] = "mx.example.com" },
        }.ToJsonString());
        var result = Milters("check-config", "--config", path);
        Assert.True(result.Succeeded, result.ToString());
        var warnings = result.StandardOutput.Split('\n', StringSplitOptions.TrimEntries).Where(l => l.StartsWith("warning: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.StartsWith("warning: unknown setting DomainKeys:Canonicalisation (known in DomainKeys: Mode, Canonicalization,", warnings[0]);
        Assert.StartsWith("warning: unknown setting SenderId:RejectMod (known in SenderId: RejectMode,", warnings[1]);
    }

    /// <summary>A misspelled choice names the key, the value and what would have been accepted.</summary>
    [Fact]
    public void Bad_plugin_choice_lists_the_accepted_values()
    {
        var path = dir["plugins-bad-choice.json"];
        File.WriteAllText(path, new JsonObject
        {
            ["Plugins"] = new JsonObject { ["Order"] = new JsonArray("DomainKeys", "AuthResults") },
            ["Dns"] = new JsonObject { ["Servers"] = new JsonArray("127.0.0.1:1") },
            ["DomainKeys"] = new JsonObject { ["Mode"] = "v", ["Actions"] = new JsonObject { ["BadSignature"] = "Rejekt" } },
        }.ToJsonString());
        var result = Milters("check-config", "--config", path);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'Rejekt' at 'DomainKeys:Actions:BadSignature'", result.StandardError);
        Assert.Contains("expected one of: Accept, Discard, Reject, TempFail, Quarantine", result.StandardError);
    }

    [Fact]
    public void Config_path_that_is_a_directory_is_named()
    {
        AssertOneLineError(Milters("check-config", "--config", dir.Path), $"cannot read configuration file {dir.Path}: it is a directory");
    }

    /// <summary>
    /// An independent review: check-config said OK to values the start then refused, a bad log level crashed the start
    /// with a stack trace (exit 134, which the unit's Restart= then repeated) and a bare number was read as days.
    /// check-config, the start and a reload (same checks, HostGeneration) now refuse them alike, in one line.
    /// </summary>
    [Theory]
    [InlineData("--Logging:LogLevel:Default=Loud", "Logging:LogLevel:Default: \"Loud\" is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)")]
    [InlineData("--Logging:LogLevel:Default= ", "Logging:LogLevel:Default: \" \" is not a log level (Trace, Debug, Information, Warning, Error, Critical, None)")]
    [InlineData("--Metrics:SummaryInterval=5", "Metrics:SummaryInterval: \"5\" is not a time span like 00:00:05")]
    [InlineData("--Listen:InlineCompletions=maybe", "Listen:InlineCompletions: \"maybe\" is not true or false")]
    [InlineData("--Milter:ConnectionTimeout=5", "Milter:ConnectionTimeout: \"5\" is not a time span like 00:00:30")]
    [InlineData("--HeaderStamp:Timeout=5", "HeaderStamp:Timeout: \"5\" is not a positive time span of at most 24 days like 00:00:30")]
    public void Check_config_and_the_start_refuse_alike(string option, string message)
    {
        var path = Config();
        AssertOneLineError(Milters("check-config", "--config", path, option), message);
        AssertOneLineError(Milters("--config", path, "-p", $"inet:{FreePort.Tcp()}@127.0.0.1", option), message);
    }

    /// <summary>What the logging library takes, the checks take too: a level's number, an empty value (diff review).</summary>
    [Theory]
    [InlineData("--Logging:LogLevel:Default=2")]
    [InlineData("--Logging:LogLevel:Default=")]
    [InlineData("--Logging:LogLevel:Milters.Host=warning")]
    public void Log_levels_that_loaded_before_still_load(string option)
    {
        var result = Milters("check-config", "--config", Config(), option);
        Assert.True(result.Succeeded, result.ToString());
    }

    [Fact]
    public void Bad_on_error_value_is_named()
    {
        var path = Config(c => c["HeaderStamp"] = new JsonObject { ["OnError"] = "Explode" });
        AssertOneLineError(Milters("check-config", "--config", path),
            "HeaderStamp:OnError: \"Explode\" is not one of TempFail, Accept, Reject, Continue");
    }

    [Fact]
    public void Help_lists_the_commands()
    {
        var result = Milters("--help");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("check-config", result.StandardOutput);
        Assert.Contains("run ", result.StandardOutput);
        Assert.Contains("--nameserver HOST:PORT", result.StandardOutput);
    }

    /// <summary>
    /// An independent review: under `ulimit -n 1024` with the default MaxConnections (1000), 900 connections held open
    /// ran the process out of descriptors and the runtime aborted it (exit 134). MaxConnections now fits the limit.
    /// </summary>
    [Fact]
    public void MaxConnections_is_lowered_to_fit_the_descriptor_limit_with_a_warning()
    {
        var (file, prefix) = MilterProcess.HostCommand();
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-c", "ulimit -n 600 && exec \"$@\"", "bash", file, .. prefix, "--config", Config(), "--Listen:Socket=inet:0@127.0.0.1"])
            psi.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        var listening = new ManualResetEventSlim();
        void Read(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.Contains("listening on")) listening.Set();
        }
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Assert.True(listening.Wait(TimeSpan.FromSeconds(60)), output.ToString());
        }
        finally
        {
            process.Kill();
            process.WaitForExit();
        }
        Assert.Contains("Listen:MaxConnections is 1000, but this process may open only 600 descriptors", output.ToString());
        Assert.Contains("at most 344 connections are served at once", output.ToString());
    }

    [Fact]
    public void Runs_serves_and_exits_zero_on_sigterm()
    {
        var options = new MilterProcessOptions
        {
            Config = JsonNode.Parse(File.ReadAllText(Config()))!.AsObject(),
        };
        using var milter = MilterProcess.Start(options);
        Assert.True(MilterProcess.Accepts(milter.Socket));
        milter.WaitForOutput("listening on", TimeSpan.FromSeconds(30));
        var code = milter.Stop(TimeSpan.FromSeconds(30));
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task Sigterm_lets_the_message_in_flight_finish_then_exits_zero()
    {
        // SeeEnvelope: the plugin asks for MAIL and the headers, so the host sees that a message has begun.
        var path = Config(c => c["HeaderStamp"] = new JsonObject { ["SeeEnvelope"] = true });
        var options = new MilterProcessOptions { Config = JsonNode.Parse(File.ReadAllText(path))!.AsObject() };
        using var milter = MilterProcess.Start(options);
        milter.WaitForOutput("ready (pid", TimeSpan.FromSeconds(30));
        // The start-up line names the build, so a log shows which version handled the mail.
        Assert.Contains($"milters {ProductVersion.Text} ready (pid", milter.Output, StringComparison.Ordinal);

        await using var client = await MilterClient.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, milter.Socket.Port!.Value));
        await client.NegotiateAsync(MtaOffer.Postfix);
        await client.ConnectAsync("client.example.net", IPAddress.Parse("192.0.2.10"));
        await client.MailFromAsync("a@example.com");
        await client.RcptAsync("b@example.org");
        await client.HeaderAsync("Subject", " in flight");
        await client.EndOfHeadersAsync();

        milter.Signal(MilterProcess.SIGTERM);
        milter.WaitForOutput("stopped accepting", TimeSpan.FromSeconds(30));
        Assert.False(MilterProcess.Accepts(milter.Socket));
        // A SIGHUP during the drain (logrotate, a config tool) must not end the process: it did (exit 129), cutting
        // the message in flight (found by an independent review).
        milter.Signal(MilterProcess.SIGHUP);
        Thread.Sleep(300);
        Assert.False(milter.HasExited, milter.Output);

        var eom = await client.EndOfMessageAsync();
        Assert.Contains(eom.AddedHeaders, h => h.Name == "X-Milters-Stamp" && h.Value == " HeaderStamp");
        Assert.True(eom.Verdict.IsContinue || eom.Verdict.IsAccept, eom.Verdict.ToString());
        Assert.Equal(0, milter.Stop(TimeSpan.FromSeconds(30)));
    }
}
