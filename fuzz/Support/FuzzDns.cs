using System.Net;
using Milters.Abstractions;
using static Milters.Testing.Dns.InMemoryDnsResolver;

namespace Milters.Fuzz;

/// <summary>
/// An in-memory zone for the targets that look names up (the fuzzers must not touch a network). Names are
/// case-insensitive without the trailing dot; an unknown name is NXDOMAIN, a known name without records of
/// the asked type is NODATA. Answers are synchronous, so a run is deterministic.
/// </summary>
public sealed class FuzzDns : IDnsResolver
{
    private readonly Dictionary<(string, string), List<object>> records = new();
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    private static string Norm(string name) => name.TrimEnd('.').ToLowerInvariant();

    private FuzzDns Add(string name, string type, object value)
    {
        var n = Norm(name);
        names.Add(n);
        if (!records.TryGetValue((n, type), out var list)) records[(n, type)] = list = new List<object>();
        list.Add(value);
        return this;
    }

    public FuzzDns Txt(string name, params string[] strings) => Add(name, "TXT", new TxtRecord(strings));

    public FuzzDns A(string name, string address) => Add(name, "A", IPAddress.Parse(address));

    public FuzzDns Aaaa(string name, string address) => Add(name, "AAAA", IPAddress.Parse(address));

    public FuzzDns Mx(string name, int preference, string exchange) => Add(name, "MX", new MxRecord(preference, Norm(exchange)));

    public FuzzDns Ptr(string address, string target) => Add(PtrName(IPAddress.Parse(address)), "PTR", Norm(target));

    /// <summary>Replaces every TXT record of <paramref name="name"/> (the fuzzed record of the SPF target).</summary>
    public void SetTxt(string name, TxtRecord record)
    {
        var n = Norm(name);
        names.Add(n);
        records[(n, "TXT")] = [record];
    }

    public ValueTask<DnsAnswer<TxtRecord>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) => Lookup<TxtRecord>(name, "TXT");

    public ValueTask<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) => Lookup<IPAddress>(name, "A");

    public ValueTask<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) => Lookup<IPAddress>(name, "AAAA");

    public ValueTask<DnsAnswer<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) => Lookup<MxRecord>(name, "MX");

    public ValueTask<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default) => Lookup<string>(PtrName(address), "PTR");

    private ValueTask<DnsAnswer<T>> Lookup<T>(string name, string type)
    {
        var n = Norm(name);
        if (n.StartsWith("servfail.", StringComparison.Ordinal)) return new(DnsAnswer<T>.Of(DnsStatus.ServerFailure, "simulated SERVFAIL"));
        if (n.StartsWith("timeout.", StringComparison.Ordinal)) return new(DnsAnswer<T>.Of(DnsStatus.Timeout, "simulated timeout"));
        if (records.TryGetValue((n, type), out var list)) return new(new DnsAnswer<T>(DnsStatus.Ok, list.Cast<T>().ToArray()));
        return new(DnsAnswer<T>.Of(names.Contains(n) ? DnsStatus.NoData : DnsStatus.NxDomain));
    }

    /// <summary>The zone the session and SPF targets share: SPF records using every mechanism, DomainKeys keys.</summary>
    public static FuzzDns Standard()
    {
        var dns = new FuzzDns()
            .Txt("example.com", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx/24 ptr include:_spf.example.net exists:%{ir}.%{l1r+-}._spf.%{d} redirect=example.org")
            .Txt("_spf.example.net", "v=spf1 a:mail.%{o} -all")
            .Txt("example.org", "spf2.0/pra,mfrom ip4:198.51.100.0/24 ~all", "v=spf1 ?all")
            .Txt("example.net", "v=spf1 -all exp=explain.example.net")
            .Txt("explain.example.net", "%{i} is not one of %{d}'s designated mail servers (%{s} %{h} %{c} %{r} %{t} %{p})")
            .A("example.com", "192.0.2.10").Aaaa("example.com", "2001:db8::10")
            .Mx("example.com", 10, "mx.example.com").A("mx.example.com", "192.0.2.20")
            .A("mail.example.com", "192.0.2.30")
            .Ptr("192.0.2.1", "client.example.com").A("client.example.com", "192.0.2.1")
            .Txt("loop.example.com", "v=spf1 include:loop.example.com -all")
            .Txt("sel._domainkey.example.com", "k=rsa; g=*; t=y; n=fuzz; p=" + SessionKeys.PublicKeyBase64);
        var dnsJson = RepoData.Path("domainkeys", "dns.json");
        if (File.Exists(dnsJson))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dnsJson));
            foreach (var entry in doc.RootElement.GetProperty("records").EnumerateObject())
                if (entry.Value.ValueKind == System.Text.Json.JsonValueKind.Object && entry.Value.TryGetProperty("TXT", out var txt)
                    && txt.ValueKind == System.Text.Json.JsonValueKind.String && txt.GetString() is { } text)
                    dns.Txt(entry.Name, text);
        }
        return dns;
    }
}
