using Milters.Host.Dns;
using Milters.Host.Hosting;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Hosting;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ConfigurationTests : IDisposable
{
    private readonly TempDir dir = new("hcfg");

    public void Dispose() => dir.Dispose();

    private string Write(string json)
    {
        var path = dir["milters.json"];
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Friendly_options_become_configuration_keys()
    {
        var cl = HostCommandLine.Parse(["-p", "unix:/tmp/m.sock", "--plugins", "/opt/p", "--nameserver", "127.0.0.1:5353",
            "--nameserver", "[::1]:5353", "-l", "-f", "-P", "/run/m.pid", "-u", "milters:mail", "--Dns:Timeout=00:00:02", "--Keys:Strict", "true"]);
        Assert.Equal("unix:/tmp/m.sock", cl.Settings["Listen:Socket"]);
        Assert.Equal("/opt/p", cl.Settings["Plugins:Directory"]);
        Assert.Equal("127.0.0.1:5353,[::1]:5353", cl.Settings["Dns:Servers"]);
        Assert.Equal("true", cl.Settings["Logging:Syslog"]);
        Assert.Equal("/run/m.pid", cl.Settings["Hosting:PidFile"]);
        Assert.Equal("milters:mail", cl.Settings["Hosting:User"]);
        Assert.Equal(["--Dns:Timeout=00:00:02", "--Keys:Strict=true"], cl.Overrides);
    }

    /// <summary>
    /// `milters dk-filter …`: the flags are the whole configuration, as for dk-filter — no implicit milters.json (the
    /// installed one signs for MSA and wants strict keys) — unless --config names a file, which the flags then override.
    /// </summary>
    [Fact]
    public void An_old_command_line_reads_a_configuration_file_only_when_named()
    {
        var command = new Milters.Host.Commands.LegacyFilterCommand(new Milters.Host.Compat.DkFilterCommandLine());
        var alone = command.Translate(["-p", "inet:8892@localhost", "-b", "v"]).BuildConfiguration();
        Assert.Null(alone.File);
        Assert.Null(alone.Root["DomainKeys:SigningDaemons:0"]);
        Assert.Equal("v", alone.Root["DomainKeys:Mode"]);

        var path = Write("""{ "DomainKeys": { "Mode": "s", "SigningDaemons": ["MSA"] }, "Keys": { "Strict": true } }""");
        var layered = command.Translate(["--config", path, "-p", "inet:8892@localhost", "-b", "v"]).BuildConfiguration();
        Assert.Equal(path, layered.File);
        Assert.Equal("v", layered.Root["DomainKeys:Mode"]);
        Assert.Equal("MSA", layered.Root["DomainKeys:SigningDaemons:0"]);
    }

    [Theory]
    [InlineData("-x")]
    [InlineData("--frobnicate")]
    public void Unknown_option_is_an_error(string option)
    {
        var e = Assert.Throws<StartupException>(() => HostCommandLine.Parse([option]));
        Assert.Contains($"unknown option \"{option}\"", e.Message);
    }

    [Fact]
    public void Option_without_value_is_an_error()
    {
        var e = Assert.Throws<StartupException>(() => HostCommandLine.Parse(["--config"]));
        Assert.Equal("option --config needs a value", e.Message);
    }

    [Fact]
    public void Layers_file_then_environment_then_command_line()
    {
        var path = Write("""
            { "Listen": { "Socket": "inet:1111@127.0.0.1", "Backlog": 5 },
              "Dns": { "Servers": [ "127.0.0.1:53", "127.0.0.2:53", "127.0.0.3:53" ], "Retries": 1 },
              // comments are allowed, as Microsoft.Extensions.Configuration.Json allows them
              "Plugins": { "Order": [ "A", "B" ] } }
            """);
        Environment.SetEnvironmentVariable("MILTERS_Dns__Retries", "4");
        Environment.SetEnvironmentVariable("MILTERS_Listen__Backlog", "7");
        try
        {
            var cl = HostCommandLine.Parse(["--config", path, "-p", "inet:2222@127.0.0.1", "--nameserver", "127.0.0.9:5353", "--Listen:Backlog=9"]);
            var config = MiltersConfiguration.Build(cl).Root;
            Assert.Equal("inet:2222@127.0.0.1", config["Listen:Socket"]);
            Assert.Equal("9", config["Listen:Backlog"]);
            var dns = DnsOptions.FromConfiguration(config);
            Assert.Equal(4, dns.Retries);
            // --nameserver replaces the file's list rather than merging index by index
            Assert.Equal(["127.0.0.9:5353"], dns.Servers.Select(s => s.ToString()));
        }
        finally
        {
            Environment.SetEnvironmentVariable("MILTERS_Dns__Retries", null);
            Environment.SetEnvironmentVariable("MILTERS_Listen__Backlog", null);
        }
    }

    [Fact]
    public void Legacy_settings_win_over_everything()
    {
        var path = Write("""{ "Listen": { "Socket": "inet:1111@127.0.0.1" } }""");
        var cl = HostCommandLine.Parse(["--config", path, "--Listen:Socket=inet:2222@127.0.0.1"]);
        var config = MiltersConfiguration.Build(cl, new Dictionary<string, string?> { ["Listen:Socket"] = "inet:8892@127.0.0.1" }).Root;
        Assert.Equal("inet:8892@127.0.0.1", config["Listen:Socket"]);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var path = dir["nope.json"];
        var e = Assert.Throws<StartupException>(() => MiltersConfiguration.Build(HostCommandLine.Parse(["--config", path])));
        Assert.Equal($"cannot read configuration file {path}: file not found", e.Message);
    }

    [Fact]
    public void Malformed_json_names_file_and_line()
    {
        var path = Write("{\n  \"Listen\": { \"Socket\": \"inet:1@127.0.0.1\" \n  \"Plugins\": {}\n}\n");
        var e = Assert.Throws<StartupException>(() => MiltersConfiguration.Build(HostCommandLine.Parse(["--config", path])));
        Assert.StartsWith($"configuration file {path} is not valid JSON at line 3", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Top_level_must_be_an_object()
    {
        var path = Write("[1, 2]");
        var e = Assert.Throws<StartupException>(() => MiltersConfiguration.Build(HostCommandLine.Parse(["--config", path])));
        Assert.Contains("top level must be a JSON object", e.Message);
    }

    [Fact]
    public void Unreadable_file_is_named()
    {
        var path = Write("{}");
        File.SetUnixFileMode(path, UnixFileMode.None);
        var expected = $"cannot read configuration file {path}: permission denied";
        if (Environment.UserName != "root")
        {
            var e = Assert.Throws<StartupException>(() => MiltersConfiguration.Build(HostCommandLine.Parse(["--config", path])));
            Assert.Equal(expected, e.Message);
            return;
        }
        // Root reads anything (CI runs as root): the same question asked by the built program as user nobody — from a
        // copy nobody can reach, since a checkout under /root (mode 0700) is closed to it.
        using var program = new TempDir("nobody-run");
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory)) File.Copy(file, program[Path.GetFileName(file)]);
        var r = ProcessRunner.Run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "dotnet", program["milters.dll"], "check-config", "--config", path],
            TimeSpan.FromMinutes(2), workingDirectory: "/tmp");
        Assert.True(r.ExitCode != 0, r.ToString());
        Assert.Contains(expected, r.Output);
    }

    [Theory]
    [InlineData("--Listen:UnixSocketMode=0999", "Listen:UnixSocketMode: \"0999\" is not an octal file mode")]
    [InlineData("--Listen:Backlog=zero", "Listen:Backlog: \"zero\" is not a number")]
    [InlineData("--Dns:Timeout=soon", "Dns:Timeout: \"soon\" is not a time span")]
    // .NET reads a bare "5" as five days; dk-filter's -T 5 meant seconds. Neither guess is safe: refused.
    [InlineData("--Dns:Timeout=5", "Dns:Timeout: \"5\" is not a time span like 00:00:05")]
    [InlineData("--Listen:DrainTimeout=30", "Listen:DrainTimeout: \"30\" is not a time span")]
    [InlineData("--Dns:UseCache=maybe", "Dns:UseCache: \"maybe\" is not true or false")]
    public void Bad_values_name_their_key(string option, string message)
    {
        var path = Write("{}");
        var config = MiltersConfiguration.Build(HostCommandLine.Parse(["--config", path, option])).Root;
        var e = Assert.Throws<StartupException>(() => { ListenOptions.FromConfiguration(config); DnsOptions.FromConfiguration(config); });
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Listen_defaults()
    {
        var config = MiltersConfiguration.Build(HostCommandLine.Parse(["--config", Write("{}")])).Root;
        var listen = ListenOptions.FromConfiguration(config);
        Assert.Equal("inet:8891@127.0.0.1", listen.Socket.Text);
        Assert.Equal((UnixFileMode)0x1B0, listen.UnixSocketMode); // 0660
        Assert.False(listen.AllowedClients.IsExplicit);
    }
}
