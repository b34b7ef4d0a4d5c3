using Microsoft.Extensions.Configuration;
using Milters.Host.Hosting;

namespace Milters.Host.Tests.Hosting;

public class StartOnlySettingsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Settings_read_at_start_are_named_when_a_reload_changes_them_and_the_others_are_not()
    {
        var running = Config(("Milter:MaxHeaders", "1000"), ("Listen:Backlog", "128"), ("Listen:AllowedClients:0", "127.0.0.1"),
            ("Hosting:PidFile", "/run/a.pid"), ("DomainKeys:Mode", "sign"), ("Logging:LogLevel:Default", "Information"));
        var next = Config(("Milter:MaxHeaders", "500"), ("Milter:MaxRecipients", "10"), ("Listen:Backlog", "128"),
            ("Listen:AllowedClients:0", "127.0.0.2"), ("DomainKeys:Mode", "verify"), ("Logging:LogLevel:Default", "Debug"),
            ("Logging:Syslog", "true"));

        Assert.Equal(["Hosting:PidFile", "Logging:Syslog", "Milter:MaxHeaders", "Milter:MaxRecipients"], StartOnlySettings.Changed(running, next));
    }

    [Fact]
    public void The_same_values_in_another_case_of_key_are_no_change()
    {
        Assert.Empty(StartOnlySettings.Changed(Config(("Milter:MaxHeaders", "1000")), Config(("milter:maxheaders", "1000"))));
    }

    /// <summary>Compared with the values in force since the start: changed and changed back is no change (diff review).</summary>
    [Fact]
    public void A_setting_changed_back_to_its_start_value_is_no_change()
    {
        var inForce = StartOnlySettings.Snapshot(Config(("Milter:MaxRecipients", "1000")));
        Assert.Equal(["Milter:MaxRecipients"], StartOnlySettings.Changed(inForce, Config(("Milter:MaxRecipients", "5"))));
        Assert.Empty(StartOnlySettings.Changed(inForce, Config(("Milter:MaxRecipients", "1000"))));
    }
}
