namespace Milters.Fuzz;

/// <summary>Finds tests/data in the checkout the fuzzer was built from (it runs from fuzz/bin/…).</summary>
public static class RepoData
{
    public static string Path(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Milters.sln"))) dir = dir.Parent;
        return System.IO.Path.Combine([dir?.FullName ?? ".", "tests", "data", .. parts]);
    }
}
