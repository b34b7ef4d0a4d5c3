using Milters.Host.Commands;
using Milters.Host.Hosting;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

public class CommandCatalogTests : IDisposable
{
    private readonly TempDir dir = new("hcmd");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Finds_every_command_including_one_per_legacy_tool()
    {
        var commands = CommandCatalog.Discover();
        Assert.IsType<RunCommand>(commands["run"]);
        Assert.IsType<CheckConfigCommand>(commands["check-config"]);
        Assert.IsType<LegacyFilterCommand>(commands["dk-filter"]);
        Assert.IsType<LegacyFilterCommand>(commands["sid-filter"]);
        Assert.All(commands, c => Assert.Equal(c.Key, c.Value.Name));
    }

    [Fact]
    public void Legacy_flags_are_the_highest_layer_and_our_long_options_still_apply()
    {
        var config = dir["milters.json"];
        File.WriteAllText(config, """{ "Listen": { "Socket": "inet:1111@127.0.0.1" }, "Dns": { "Retries": 1 } }""");
        var command = (LegacyFilterCommand)CommandCatalog.Discover()["dk-filter"];

        var arguments = command.Translate(["--config", config, "-l", "-p", "inet:8892@127.0.0.1", "--nameserver", "127.0.0.1:5353", "--Listen:Socket=inet:2222@127.0.0.1"]);
        var root = arguments.BuildConfiguration().Root;

        Assert.Equal("inet:8892@127.0.0.1", root["Listen:Socket"]);  // dk-filter -p beats --Listen:Socket and the file
        Assert.Equal("true", root["Logging:Syslog"]);
        Assert.Equal("127.0.0.1:5353", root["Dns:Servers"]);
        Assert.Equal("1", root["Dns:Retries"]);                     // the file still fills in the rest
    }

    [Fact]
    public void Legacy_dash_h_belongs_to_the_old_tool_not_to_help()
    {
        var legacy = new List<string>();
        var parsed = HostCommandLine.Parse(["-h", "--help"], legacy);
        Assert.Equal(["-h"], legacy);
        Assert.True(parsed.Help);
        Assert.True(HostCommandLine.Parse(["-h"]).Help);
    }

    [Fact]
    public void Bad_legacy_flag_is_one_line_naming_the_tool()
    {
        var command = (LegacyFilterCommand)CommandCatalog.Discover()["dk-filter"];
        var e = Assert.Throws<StartupException>(() => command.Translate(["-Z"]));
        Assert.StartsWith("dk-filter: ", e.Message);
        Assert.Contains("-Z", e.Message);
    }

    [Fact]
    public async Task Dispatch_prints_one_line_errors_and_usage()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLineApp.RunAsync(["check-config", "--config", dir["absent.json"]], stdout, stderr);
        Assert.Equal(CommandLineApp.ExitFailure, code);
        Assert.Equal($"cannot read configuration file {dir["absent.json"]}: file not found", stderr.ToString().Trim());

        stderr = new StringWriter();
        Assert.Equal(CommandLineApp.ExitUsage, await CommandLineApp.RunAsync(["nonsense"], stdout, stderr));
        Assert.Contains("unknown command \"nonsense\"", stderr.ToString());

        stdout = new StringWriter();
        Assert.Equal(0, await CommandLineApp.RunAsync(["--help"], stdout, new StringWriter()));
        Assert.Contains("dk-filter", stdout.ToString());
        Assert.Contains("sid-filter", stdout.ToString());
        Assert.Contains("version", stdout.ToString());
    }

    /// <summary>An independent review: `milters dk-filter --help` without -p printed "-p socketspec is required" and exited 1.</summary>
    [Theory]
    [InlineData("dk-filter")]
    [InlineData("sid-filter")]
    public async Task Old_tools_help_needs_no_other_flag(string tool)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(0, await CommandLineApp.RunAsync([tool, "--help"], stdout, stderr));
        Assert.StartsWith($"usage: milters {tool} [{tool} flags]", stdout.ToString());
        Assert.Contains("no configuration file is read unless", stdout.ToString());
        Assert.Equal("", stderr.ToString());
    }

    [Theory]
    [InlineData("version")]
    [InlineData("--version")]
    [InlineData("-V")]
    public async Task Version_names_the_build_the_runtime_and_openssl(string word)
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await CommandLineApp.RunAsync([word], stdout, new StringWriter()));
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^milters \d+\.\d+\.\d+", lines[0]);
        Assert.Equal(typeof(CommandLineApp).Assembly.GetName().Version!.ToString(3), lines[0]["milters ".Length..].Split('+', '-')[0]);
        Assert.Contains(lines, l => l.Contains(".NET " + Environment.Version.ToString(2), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("\tOpenSSL 3.", StringComparison.Ordinal) || l.StartsWith("\tOpenSSL 1.", StringComparison.Ordinal));

        var stderr = new StringWriter();
        Assert.Equal(CommandLineApp.ExitUsage, await CommandLineApp.RunAsync([word, "extra"], new StringWriter(), stderr));
        Assert.Contains("no arguments", stderr.ToString());
    }

    [Theory]
    [InlineData("dk-filter", new[] { "-V" }, "DomainKeys (RFC 4870)")]
    [InlineData("dk-filter", new[] { "-lV", "-b", "s" }, "rsa-sha1")] // -b s without a key would refuse to start: -V comes first
    [InlineData("sid-filter", new[] { "-p", "inet:8891@localhost", "-V" }, "Sender ID (RFC 4406, 4407)")]
    public async Task Old_tools_dash_V_prints_the_version_and_exits_without_running(string tool, string[] flags, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var run = CommandLineApp.RunAsync([tool, .. flags], stdout, stderr);
        // A milter that started would not return: -V must come back at once with 0.
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20))));
        Assert.True(await run == 0, stderr.ToString());
        Assert.StartsWith("milters ", stdout.ToString());
        Assert.Contains(expected, stdout.ToString());
    }
}
