namespace Milters.Testing;

/// <summary>
/// The seed of a randomized test: MILTERS_RANDOM_SEED when set (to explore another sequence), else the test's
/// own fixed seed, so a plain run is reproducible. Failure messages name the seed in use.
/// </summary>
public static class RandomSeed
{
    public const string EnvironmentVariable = "MILTERS_RANDOM_SEED";

    public static int Or(int fixedSeed) =>
        int.TryParse(Environment.GetEnvironmentVariable(EnvironmentVariable), out var seed) ? seed : fixedSeed;
}
