namespace Milters.Host.Tests.Hosting;

/// <summary>
/// Tests that compare how far one client gets while another waits: alone, after the others. Beside a test that keeps
/// both cores busy (SocketThreadFairnessTests' process does), the event loop test's greedy client finished all its
/// messages before its neighbour had even connected, four runs of six.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FairnessCollection
{
    public const string Name = "fairness, alone";
}
