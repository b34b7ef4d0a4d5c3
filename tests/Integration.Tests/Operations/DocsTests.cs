using System.Text.Json;
using System.Text.RegularExpressions;
using Milters.Host.Commands;
using Milters.Testing.Peers;

namespace Milters.Integration.Tests.Operations;

/// <summary>
/// The administrator documentation stays true: links resolve, the MTA lines are the ones the peer scripts
/// (and so the integration tests) run with, the sample `migrate` output is what the command prints, and
/// every key of the installed configuration template is described.
/// </summary>
public sealed partial class DocsTests
{
    private static string Docs(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", name));

    [Theory]
    [InlineData("ADMIN.md")]
    [InlineData("MIGRATING.md")]
    [InlineData("DNS.md")]
    [InlineData("TROUBLESHOOTING.md")]
    [InlineData("PLUGINS.md")]
    [InlineData("METRICS.md")]
    public void Relative_links_point_at_files_that_exist(string doc)
    {
        foreach (Match m in Link().Matches(Docs(doc)))
        {
            var target = m.Groups[1].Value.Split('#')[0];
            if (target.Length == 0 || target.Contains("://", StringComparison.Ordinal)) continue;
            var path = Path.GetFullPath(Path.Combine(RepoPaths.Root, "docs", target));
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{doc}: link to {target} ({path}) is broken");
        }
    }

    [Fact]
    public void The_mta_snippets_the_guide_points_at_are_the_ones_the_peer_scripts_build_their_configuration_from()
    {
        var admin = Docs("ADMIN.md");
        var scripts = new Dictionary<string, string>
        {
            ["sendmail-milter.mc"] = "sendmail.sh",
            ["sendmail-daemons.mc"] = "sendmail.sh",
            ["postfix-main.cf"] = "postfix.sh",
            ["postfix-master.cf"] = "postfix.sh",
        };
        foreach (var (snippet, script) in scripts)
        {
            Assert.Contains($"tests/peers/mta-snippets/{snippet}", admin.Replace("](../", "](", StringComparison.Ordinal).Replace("[`", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(RepoPaths.Peers, "mta-snippets", snippet)), snippet);
            Assert.Contains($"peers_snippet {snippet}", File.ReadAllText(Path.Combine(RepoPaths.Peers, script)), StringComparison.Ordinal);
        }
        // No second copy: the guide does not spell out its own INPUT_MAIL_FILTER or smtpd_milters lines.
        Assert.DoesNotContain("INPUT_MAIL_FILTER(`milters', `S=", admin, StringComparison.Ordinal);
        Assert.DoesNotContain("\nsmtpd_milters =", admin, StringComparison.Ordinal);
    }

    [Fact]
    public void The_migrate_example_in_MIGRATING_is_what_the_command_prints()
    {
        var doc = Docs("MIGRATING.md");
        var dk = Regex.Match(doc, "--dk-filter \"([^\"]+)\"").Groups[1].Value;
        var sid = Regex.Match(doc, "--sid-filter \"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(dk);
        Assert.NotEmpty(sid);
        var printed = MigrateCommand.Migrate(dk, sid).Render();
        foreach (var line in printed.TrimEnd('\n').Split('\n'))
            Assert.Contains("\n   " + line + "\n", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_key_of_the_installed_configuration_template_is_described_in_the_guide()
    {
        var admin = Docs("ADMIN.md");
        using var template = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "install", "milters.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        foreach (var section in template.RootElement.EnumerateObject())
        {
            Assert.Contains($"### `{section.Name}`", admin.Replace("### Every plugin section: `OnError`", "", StringComparison.Ordinal), StringComparison.Ordinal);
            foreach (var key in section.Value.EnumerateObject())
                Assert.True(admin.Contains($"| `{key.Name}`", StringComparison.Ordinal) || admin.Contains($"| `{key.Name}[]", StringComparison.Ordinal) || admin.Contains($"| `{key.Name}:", StringComparison.Ordinal) || admin.Contains($"`{key.Name}` in your section", StringComparison.Ordinal)
                            || (key.Name == "OnError" && admin.Contains("### Every plugin section: `OnError`", StringComparison.Ordinal)),
                    $"{section.Name}:{key.Name} is not described in docs/ADMIN.md");
        }
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();
}
