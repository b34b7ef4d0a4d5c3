using System.Text;

namespace Milters.Integration.Tests.Faults;

/// <summary>
/// Per-message DNS work is bounded end to end (RFC 7208 §4.6.4): more than 10 DNS-querying terms or more than
/// 2 void lookups is a permerror, and BIND's query log shows the names past the limit were never asked.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DnsLimitTests
{
    private static string Zone()
    {
        var zone = new StringBuilder();
        // 12 includes, each of a record that does not match: the 11th would exceed the limit of 10.
        zone.Append(ChainMilter.Txt("many.lim.test", "v=spf1 " + string.Join(' ', Enumerable.Range(1, 12).Select(i => $"include:i{i}.lim.test")) + " -all"));
        for (int i = 1; i <= 12; i++) zone.Append(ChainMilter.Txt($"i{i}.lim.test", "v=spf1 -all"));
        // 4 a: terms of names that do not exist: the 3rd void lookup is one too many.
        zone.Append(ChainMilter.Txt("void.lim.test", "v=spf1 a:v1.lim.test a:v2.lim.test a:v3.lim.test a:v4.lim.test -all"));
        zone.Append("lim.test. IN A 192.0.2.250\n");
        return zone.ToString();
    }

    [Fact]
    public async Task Ten_lookups_and_two_void_lookups_hold_as_BIND_sees_them()
    {
        using var chain = ChainMilter.Start(extraZone: Zone());

        var many = await chain.SendAsync("MANY1", "<a@many.lim.test>", ChainMilter.Message("a@many.lim.test"));
        chain.AssertHas(chain.AuthResults(many), "spf=permerror");
        for (int i = 1; i <= 10; i++) Assert.NotEmpty(chain.Dns.QueriesFor($"i{i}.lim.test"));
        Assert.Empty(chain.Dns.QueriesFor("i11.lim.test"));
        Assert.Empty(chain.Dns.QueriesFor("i12.lim.test"));

        var voids = await chain.SendAsync("VOID1", "<a@void.lim.test>", ChainMilter.Message("a@void.lim.test"));
        chain.AssertHas(chain.AuthResults(voids), "spf=permerror");
        Assert.NotEmpty(chain.Dns.QueriesFor("v3.lim.test"));
        Assert.Empty(chain.Dns.QueriesFor("v4.lim.test"));
    }
}
