using Xunit.Abstractions;

namespace Milters.SenderId.Tests.Spf;

/// <summary>Every case of the OpenSPF RFC 7208 and RFC 4408 suites, plus the pyspf and Mail::SPF::Iterator extras.</summary>
public sealed class SpfSuiteTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases(string file) =>
        SpfSuite.Load(file).Where(c => !SpfSuite.NotRfc7208.ContainsKey(c.ToString())).Select(c => new object[] { c.Name });

    /// <summary>The few cases that test a non-RFC mode of another checker are listed with reasons and shown to be few.</summary>
    [Fact]
    public void CasesOutsideRfc7208AreOnlyTheListedOnes()
    {
        var all = SpfSuite.Files.SelectMany(SpfSuite.Load).Select(c => c.ToString()).ToHashSet();
        Assert.All(SpfSuite.NotRfc7208.Keys, k => Assert.Contains(k, all));
        Assert.DoesNotContain(SpfSuite.NotRfc7208.Keys, k => k.StartsWith("rfc7208-tests/") || k.StartsWith("rfc4408-tests/"));
    }

    [Theory]
    [MemberData(nameof(Cases), "rfc7208-tests.json")]
    public Task Rfc7208(string name) => Run("rfc7208-tests.json", name);

    [Theory]
    [MemberData(nameof(Cases), "rfc4408-tests.json")]
    public Task Rfc4408(string name) => Run("rfc4408-tests.json", name);

    [Theory]
    [MemberData(nameof(Cases), "pyspf-test.json")]
    public Task PyspfExtras(string name) => Run("pyspf-test.json", name);

    [Theory]
    [MemberData(nameof(Cases), "mail-spf-iterator-misc.json")]
    public Task MailSpfIteratorExtras(string name) => Run("mail-spf-iterator-misc.json", name);

    private static async Task Run(string file, string name)
    {
        var c = SpfSuite.Load(file).Single(x => x.Name == name);
        var failure = await SpfSuite.RunAsync(c);
        Assert.True(failure is null, failure);
    }

    /// <summary>Prints the pass count per suite (visible with --logger "console;verbosity=detailed").</summary>
    [Fact]
    public async Task Summary()
    {
        var failures = new List<string>();
        foreach (var file in SpfSuite.Files)
        {
            var cases = SpfSuite.Load(file);
            var passed = 0;
            var skipped = 0;
            foreach (var c in cases)
            {
                if (SpfSuite.NotRfc7208.ContainsKey(c.ToString())) { skipped++; continue; }
                var failure = await SpfSuite.RunAsync(c);
                if (failure is null) passed++; else failures.Add(failure);
            }
            output.WriteLine($"{Path.GetFileNameWithoutExtension(file)}: {passed}/{cases.Count - skipped} passed"
                + (skipped > 0 ? $" ({skipped} of {cases.Count} test a non-RFC 7208 mode, listed in SpfSuite.NotRfc7208)" : ""));
        }
        foreach (var f in failures) output.WriteLine("FAILED " + f);
        Assert.Empty(failures);
    }
}
