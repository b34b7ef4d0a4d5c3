namespace Milters.Integration.Tests.Operations;

/// <summary>
/// Tests that run `dotnet publish` (install/install.sh, the plugin guide): one at a time, so two builds never
/// compete for the two cores or for a shared project's obj/ folder (src/Abstractions is built by both).
/// </summary>
[CollectionDefinition(Name)]
public sealed class BuildsCollection
{
    public const string Name = "dotnet builds";
}
