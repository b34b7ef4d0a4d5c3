using Microsoft.Extensions.Configuration;

namespace Milters.Host.Hosting;

/// <summary>
/// Listen:InlineCompletions (default on): socket completions run on the runtime's epoll threads (one per core)
/// instead of being handed to the thread pool. A milter conversation is a chain of small reads and one reply
/// per step, so each hand-off is a thread wake-up that costs more than the work it carries: measured with
/// one connection per message (4 KB, signing, c=8) it cut context switches from ~12 to ~1.3 per message and
/// process CPU per message by ~10 % (docs/BENCHMARKS.md). End of message, where the signature is made, still
/// goes to the thread pool (MilterConnectionHandler), so one connection's signing never holds up the reads of
/// the others. The price: a plugin callback before end of message that blocks its thread holds up the other
/// connections of that epoll thread — plugins must not block (docs/PLUGINS.md).
/// The runtime reads DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS once, at the first asynchronous socket
/// operation, so this is applied before anything is listened on and a reload cannot change it.
/// An explicit environment variable wins when the configuration does not name the key.
/// </summary>
public static class InlineSocketCompletions
{
    public const string EnvironmentVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether socket completions run inline: what the runtime reads, so callers cache it once, as it does.</summary>
    public static bool InEffect => Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";

    public static void Apply(IConfiguration root) =>
        Apply(root, Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable);

    /// <summary>The decision alone, over a given environment (the process environment is shared by parallel tests).</summary>
    internal static void Apply(IConfiguration root, Func<string, string?> get, Action<string, string> set)
    {
        var listen = root.GetSection("Listen");
        if (listen["InlineCompletions"] is null && get(EnvironmentVariable) is not null) return;
        var on = ConfigValues.ReadBool(listen, "InlineCompletions", true);
        set(EnvironmentVariable, on ? "1" : "0");
    }
}
