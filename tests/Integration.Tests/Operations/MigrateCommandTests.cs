using System.Text.Json;
using Milters.Host.Commands;
using Milters.Host.Compat;
using Milters.Host.Hosting;
using Milters.Host.Plugins;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>
/// `milters migrate`: the printed file loads as a configuration whose keys are exactly what the
/// dk-filter/sid-filter translators produce, and the MTA lines are the tested snippets' lines.
/// </summary>
public sealed class MigrateCommandTests
{
    private const string SidFlags = "-l -p inet:8891@localhost -r 2 -B -d lists.example.org,news.example.org -M 'Rejected by %t: %e' -T 10";

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLineApp.RunAsync(["migrate", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static MiltersConfiguration Load(TempDir dir, string text)
    {
        var file = dir["milters.json"];
        File.WriteAllText(file, text);
        return MiltersConfiguration.Build(HostCommandLine.Parse(["--config", file]));
    }

    [Fact]
    public async Task Sid_filter_flags_become_the_same_keys_the_sid_filter_command_runs_with()
    {
        var (code, output, err) = await Run("--sid-filter", SidFlags);
        Assert.True(code == 0, err);

        using var dir = new TempDir("migrate");
        var migrated = Load(dir, output).Root;
        var direct = new SidFilterCommandLine().Translate(MigrateShellWords.Split(SidFlags));
        foreach (var (key, value) in direct.Settings)
        {
            if (key is "Plugins:Order" or DkFilterCommandLine.SiblingMethodsKey or "Logging:SyslogIdentity") continue;
            AssertCarried(migrated, key, value);
        }
        // One process writes one header: the two-process setting stays behind.
        Assert.Null(migrated[DkFilterCommandLine.SiblingMethodsKey]);
        Assert.Null(migrated["Logging:SyslogIdentity"]); // the one process logs as milters

        Assert.Equal("inet:8891@localhost", migrated["Listen:Socket"]);
        Assert.Equal(["SenderId", "AuthResults"], PluginSetFactory.Order(migrated));
        Assert.Equal("Rejected by %t: %e", migrated["SenderId:RejectText"]);
        Assert.Equal("2", migrated["SenderId:RejectMode"]);
        Assert.Equal("00:00:10", migrated["Dns:Timeout"]);
        // The host's own readers accept it.
        Assert.Equal(TimeSpan.FromSeconds(10), Milters.Host.Dns.DnsOptions.FromConfiguration(migrated).Timeout);
        Assert.Equal(8891, ListenOptions.FromConfiguration(migrated).Socket.Port);
    }

    /// <summary>
    /// An independent review: `-T 20` (three tries: 60 s of lookups) still printed Sendmail's E:60s, which ADMIN says
    /// must exceed the DNS time budget; past Postfix's 300 s the Postfix timeout is printed too.
    /// </summary>
    [Theory]
    [InlineData("-T 20", "E:90s", false)]
    [InlineData("-T 120", "E:390s", true)]
    [InlineData("-T 5", "E:60s", false)]
    public async Task The_printed_mta_timeouts_cover_the_dns_time_budget(string timeoutFlag, string expectedE, bool postfixLine)
    {
        var (code, output, err) = await Run("--sid-filter", $"-p inet:8891@localhost {timeoutFlag}");
        Assert.True(code == 0, err);
        Assert.Contains($"T=C:10s;S:30s;R:30s;{expectedE}')dnl\n", output, StringComparison.Ordinal);
        var seconds = expectedE[2..^1];
        Assert.Equal(postfixLine, output.Contains($"//   milter_content_timeout = {seconds}s\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Both_old_command_lines_become_one_configuration_with_one_socket_and_the_chain_order()
    {
        using var dir = new TempDir("migrate");
        var key = dir["betatest.key.pem"];
        var dkFlags = $"-l -p inet:8892@localhost -d example.com,example.net -s {key} -S betatest -c nofws -m MSA -C bad=r,dns=a -P /var/run/dk-filter.pid";
        var (code, output, err) = await Run("--dk-filter", dkFlags, "--sid-filter", "-l -p inet:8891@localhost -r 2 -P /var/run/sid-filter.pid");
        Assert.True(code == 0, err);

        var migrated = Load(dir, output).Root;
        Assert.Equal(["DomainKeys", "SenderId", "AuthResults"], PluginSetFactory.Order(migrated));
        Assert.Equal("inet:8892@localhost", migrated["Listen:Socket"]);

        // Every key either translator produces is in the one file, with the translator's value.
        var dk = new DkFilterCommandLine().Translate(MigrateShellWords.Split(dkFlags)).Settings;
        var sid = new SidFilterCommandLine().Translate(MigrateShellWords.Split("-l -p inet:8891@localhost -r 2")).Settings;
        foreach (var (k, v) in dk.Concat(sid))
        {
            if (k is "Plugins:Order" or "Listen:Socket" or "Hosting:PidFile" or DkFilterCommandLine.SiblingMethodsKey or "Logging:SyslogIdentity") continue;
            AssertCarried(migrated, k, v);
        }
        Assert.Null(migrated[DkFilterCommandLine.SiblingMethodsKey]);
        var table = Milters.Host.Keys.KeyTableOptions.FromConfiguration(migrated).Entries;
        Assert.Equal(["example.com", "example.net"], table.Select(e => e.Domain));
        Assert.Equal(["example.com", "example.net"], ConfigLists.Get(migrated, "DomainKeys:Domains"));
        Assert.Contains("\"Domains\": [", output, StringComparison.Ordinal);
        Assert.All(table, e => Assert.Equal("betatest", e.Selector));
        Assert.All(table, e => Assert.Equal(key, e.KeyFile));
        Assert.Equal("Reject", migrated["DomainKeys:Actions:BadSignature"]);
        Assert.Equal("2", migrated["SenderId:RejectMode"]);

        // The two pid files and the two sockets cannot both stay: one is kept and the choice is written down.
        Assert.Equal("/var/run/dk-filter.pid", migrated["Hosting:PidFile"]);
        var comments = output.Split('\n').Where(l => l.StartsWith("//", StringComparison.Ordinal)).ToList();
        Assert.Contains(comments, c => c.Contains("Hosting:PidFile", StringComparison.Ordinal) && c.Contains("/var/run/sid-filter.pid", StringComparison.Ordinal));
        Assert.Contains(comments, c => c.Contains("sid-filter listened on inet:8891@localhost", StringComparison.Ordinal));
        Assert.Contains("//   INPUT_MAIL_FILTER(`milters', `S=inet:8892@localhost, F=T, T=C:10s;S:30s;R:30s;E:60s')dnl\n", output, StringComparison.Ordinal);
        Assert.Contains("//   smtpd_milters = inet:localhost:8892\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flags_without_an_equivalent_are_noted_in_a_comment_and_the_rest_carried_over()
    {
        var (code, output, err) = await Run("--sid-filter", "-lA -p inet:8891@localhost -C 5 -tV");
        Assert.True(code == 0, err);

        var comments = output.Split('\n').Where(l => l.StartsWith("//", StringComparison.Ordinal)).ToList();
        Assert.Contains(comments, c => c.Contains("-A (restart on failure)", StringComparison.Ordinal) && c.Contains("not carried over", StringComparison.Ordinal));
        Assert.Contains(comments, c => c.Contains("-V (print the version", StringComparison.Ordinal) && c.Contains("not carried over", StringComparison.Ordinal));
        Assert.Contains(comments, c => c.Contains("-C (Cloudmark", StringComparison.Ordinal) && c.Contains("\"5\"", StringComparison.Ordinal));

        using var dir = new TempDir("migrate");
        var migrated = Load(dir, output).Root;
        Assert.Equal("True", migrated["Logging:Syslog"], ignoreCase: true);
        Assert.Equal("True", migrated["SenderId:TestMode"], ignoreCase: true);
    }

    /// <summary>Refused flags with values, however written (attached, apart, repeated, several at once), go with their values.</summary>
    [Theory]
    [InlineData("--sid-filter", "-p inet:8891@localhost -C 5 -R 3", "\"5\"", "\"3\"")]
    [InlineData("--sid-filter", "-p inet:8891@localhost -C5 -R3 -A", "\"5\"", "\"3\"")]
    [InlineData("--dk-filter", "-p inet:8892@localhost -A -R -U /x", "\"/x\"", "-R")]
    [InlineData("--dk-filter", "-p inet:8892@localhost -U /x -U /y", "\"/x\", \"/y\"", "-U")]
    [InlineData("--dk-filter", "-p inet:8892@localhost -U/var/db/pop -l", "\"/var/db/pop\"", "-U")]
    public async Task Refused_flags_are_dropped_with_their_values(string tool, string commandLine, string noted1, string noted2)
    {
        var (code, output, err) = await Run(tool, commandLine);
        Assert.True(code == 0, err);
        var comments = string.Join("\n", output.Split('\n').Where(l => l.StartsWith("//", StringComparison.Ordinal)));
        Assert.Contains(noted1, comments, StringComparison.Ordinal);
        Assert.Contains(noted2, comments, StringComparison.Ordinal);
        using var dir = new TempDir("migrate");
        var migrated = Load(dir, output).Root;
        Assert.StartsWith("inet:889", migrated["Listen:Socket"]);
        if (commandLine.EndsWith("-l", StringComparison.Ordinal)) Assert.Equal("true", migrated["Logging:Syslog"], ignoreCase: true);
    }

    /// <summary>`milters sid-filter … stray` refuses a word that is no flag; so does migrate.</summary>
    [Fact]
    public async Task A_stray_word_stops_the_migration()
    {
        var (code, output, err) = await Run("--sid-filter", "-p inet:8891@localhost -r 2 stray1 stray2");
        Assert.Equal(CommandLineApp.ExitUsage, code);
        Assert.Equal("", output);
        Assert.Contains("unexpected argument \"stray1\"", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_and_pid_file_are_carried_over_with_a_note_for_the_systemd_unit()
    {
        var (code, output, err) = await Run("--dk-filter", "-l -p inet:8892@localhost -u dkfilter -P /var/run/dk-filter.pid");
        Assert.True(code == 0, err);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("//", StringComparison.Ordinal) && l.Contains("systemd unit", StringComparison.Ordinal));
        using var dir = new TempDir("migrate-user");
        var migrated = Load(dir, output).Root;
        Assert.Equal("dkfilter", migrated["Hosting:User"]);
        Assert.Equal("/var/run/dk-filter.pid", migrated["Hosting:PidFile"]);
    }

    /// <summary>A bad value stops the migration with the reason, as it stopped the old daemon (docs/MIGRATING.md).</summary>
    [Theory]
    [InlineData("--sid-filter", "-p inet:8891@localhost -r 6", "sid-filter: -r \"6\": the rejection mode is 0 to 5")]
    [InlineData("--dk-filter", "-p inet:8892@localhost -b x", "dk-filter: -b \"x\": modes are s (sign) and v (verify)")]
    [InlineData("--dk-filter", "-p inet:8892@localhost -T 0", "dk-filter: -T 0 (wait forever for DNS) is not supported")]
    [InlineData("--dk-filter", "-p inet:8892@localhost -d example.com -s /etc/k.pem", "dk-filter: -s needs -S naming the selector")]
    public async Task A_bad_value_stops_the_migration_with_its_reason(string tool, string commandLine, string reason)
    {
        var (code, output, err) = await Run(tool, commandLine);
        Assert.Equal(CommandLineApp.ExitUsage, code);
        Assert.Equal("", output);
        Assert.Contains(reason, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_flag_is_an_error_naming_it()
    {
        var (code, output, err) = await Run("--sid-filter", "-p inet:8891@localhost -Z");
        Assert.Equal(CommandLineApp.ExitUsage, code);
        Assert.Equal("", output);
        Assert.Contains("sid-filter: unknown flag -Z", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mta_lines_are_the_tested_snippets_filled_in()
    {
        var (code, output, err) = await Run("--sid-filter", "-p inet:8891@localhost", "--socket", "inet:8899@127.0.0.1");
        Assert.True(code == 0, err);

        var sendmail = Snippet("sendmail-milter.mc", "INPUT_MAIL_FILTER",
            ("MILTER", "inet:8899@127.0.0.1"), ("FLAGS", MigrateMtaLines.Flags), ("TIMEOUTS", MigrateMtaLines.Timeouts));
        var postfix = Snippet("postfix-main.cf", "smtpd_milters", ("MILTER", "inet:127.0.0.1:8899"));
        Assert.Contains("//   " + sendmail + "\n", output, StringComparison.Ordinal);
        Assert.Contains("//   " + postfix + "\n", output, StringComparison.Ordinal);
        Assert.Contains("//   non_smtpd_milters = $smtpd_milters\n", output, StringComparison.Ordinal);

        using var dir = new TempDir("migrate");
        var migrated = Load(dir, output).Root;
        Assert.Equal("inet:8899@127.0.0.1", migrated["Listen:Socket"]);
        Assert.Contains(output.Split('\n'), l => l.Contains("sid-filter listened on inet:8891@localhost", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("inet:8891@localhost", "inet:localhost:8891", "inet:8891@localhost")]
    [InlineData("inet6:8891@::1", "inet:[::1]:8891", "inet6:8891@::1")]
    [InlineData("local:/run/milters/m.sock", "unix:/run/milters/m.sock", "local:/run/milters/m.sock")]
    [InlineData("unix:/run/milters/m.sock", "unix:/run/milters/m.sock", "local:/run/milters/m.sock")]
    public void Sockets_are_spelled_the_way_each_mta_wants(string spec, string postfix, string sendmail)
    {
        var socket = SocketSpec.Parse(spec);
        Assert.Equal(postfix, MigrateMtaLines.PostfixMilter(socket));
        Assert.Equal(sendmail, MigrateMtaLines.SendmailSocket(socket));
    }

    [Fact]
    public void Command_lines_are_split_like_the_shell_would()
    {
        Assert.Equal(["-M", "it's \"bad\"", "-d", "a,b", "-x\\y"],
            MigrateShellWords.Split("""  -M "it's \"bad\"" -d 'a,b' -x\\y """));
        Assert.Throws<FormatException>(() => MigrateShellWords.Split("-M 'open"));
    }

    [Fact]
    public void The_output_is_json_once_comments_are_skipped()
    {
        var migration = MigrateCommand.Migrate(null, "-p inet:8891@localhost -q");
        using var doc = JsonDocument.Parse(migration.Render(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        Assert.True(doc.RootElement.GetProperty("SenderId").GetProperty("Quarantine").GetBoolean());
        Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("Plugins").GetProperty("Order").ValueKind);
    }

    /// <summary>The translator's value is in the loaded file: lists (written as arrays) element by element, booleans in any case.</summary>
    private static void AssertCarried(Microsoft.Extensions.Configuration.IConfiguration migrated, string key, string? value)
    {
        var actual = MigrateConfigWriter.IsListKey(key) ? string.Join(',', ConfigLists.Get(migrated, key) ?? []) : migrated[key];
        Assert.True(string.Equals(value, actual, StringComparison.OrdinalIgnoreCase), $"{key}: translator \"{value}\", migrated \"{actual}\"");
    }

    /// <summary>The first line of tests/peers/mta-snippets/FILE starting with <paramref name="startsWith"/>, placeholders filled in.</summary>
    internal static string Snippet(string file, string startsWith, params (string Name, string Value)[] values)
    {
        var line = File.ReadLines(Path.Combine(RepoPaths.Peers, "mta-snippets", file)).First(l => l.StartsWith(startsWith, StringComparison.Ordinal));
        foreach (var (name, value) in values) line = line.Replace($"@{name}@", value, StringComparison.Ordinal);
        Assert.DoesNotContain("@", line.Replace("inet:8899@127.0.0.1", "", StringComparison.Ordinal), StringComparison.Ordinal);
        return line;
    }
}
