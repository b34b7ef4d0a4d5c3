namespace Milters.Integration.Tests;

/// <summary>
/// Every test that starts a real MTA belongs here: one at a time, so Postfix and Sendmail instances (each on its
/// own free ports and directory) never compete for the two cores and time out under load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MtaCollection
{
    public const string Name = "Real MTAs";
}
