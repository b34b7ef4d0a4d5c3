namespace Milters.Abstractions;

/// <summary>
/// Optional for a plugin: the keys its configuration section may hold. The host then warns about any other
/// key at start-up and in <c>milters check-config</c>, as it does for its own sections — a misspelled
/// "RejectMod" would otherwise be silently unread, and mail silently never rejected.
/// </summary>
public interface IPluginSettings
{
    /// <summary>The top-level keys of the plugin's section (case-insensitive); "OnError" and "Timeout" are the host's.</summary>
    IReadOnlyCollection<string> SettingNames { get; }
}
