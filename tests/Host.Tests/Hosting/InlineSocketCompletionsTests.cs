using Microsoft.Extensions.Configuration;
using Milters.Host.Hosting;

namespace Milters.Host.Tests.Hosting;

/// <summary>Listen:InlineCompletions decides the runtime's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS.</summary>
public class InlineSocketCompletionsTests
{
    private static Dictionary<string, string> Decide(string? configured, string? environment)
    {
        var settings = new Dictionary<string, string?>();
        if (configured is not null) settings["Listen:InlineCompletions"] = configured;
        var root = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var env = new Dictionary<string, string>();
        if (environment is not null) env[InlineSocketCompletions.EnvironmentVariable] = environment;
        InlineSocketCompletions.Apply(root, k => env.GetValueOrDefault(k), (k, v) => env[k] = v);
        return env;
    }

    [Theory]
    [InlineData(null, null, "1")]        // default: on
    [InlineData("false", null, "0")]
    [InlineData("true", "0", "1")]       // the configuration names it: it wins
    [InlineData("false", "1", "0")]
    [InlineData(null, "0", "0")]         // only the environment names it: left as it is
    public void Configuration_then_environment_then_on(string? configured, string? environment, string expected)
    {
        Assert.Equal(expected, Decide(configured, environment)[InlineSocketCompletions.EnvironmentVariable]);
    }

    [Fact]
    public void A_value_that_is_not_a_boolean_is_a_startup_error()
    {
        Assert.Throws<StartupException>(() => Decide("sometimes", null));
    }
}
