using System.Net;
using Milters.Abstractions;

namespace Milters.Benchmarks.Support;

/// <summary>
/// A fixed in-memory zone behind the host's resolver port, answering synchronously, so that SPF and
/// DomainKeys benchmarks measure evaluation and not a network. (The test helpers' resolver lives in a
/// test project the benchmarks do not reference.)
/// </summary>
internal sealed class ZoneResolver : IDnsResolver
{
    private readonly Dictionary<string, List<TxtRecord>> txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> a = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> aaaa = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<MxRecord>> mx = new(StringComparer.OrdinalIgnoreCase);

    public int Queries { get; private set; }

    public ZoneResolver Txt(string name, params string[] strings) { Add(txt, name, new TxtRecord(strings)); return this; }

    public ZoneResolver A(string name, string address) { Add(IPAddress.Parse(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? a : aaaa, name, IPAddress.Parse(address)); return this; }

    public ZoneResolver Mx(string name, int preference, string exchange) { Add(mx, name, new MxRecord(preference, exchange)); return this; }

    private static void Add<T>(Dictionary<string, List<T>> map, string name, T value)
    {
        name = name.TrimEnd('.');
        if (!map.TryGetValue(name, out var list)) map[name] = list = [];
        list.Add(value);
    }

    private ValueTask<DnsAnswer<T>> Answer<T>(Dictionary<string, List<T>> map, string name)
    {
        Queries++;
        name = name.TrimEnd('.');
        if (map.TryGetValue(name, out var list)) return new(new DnsAnswer<T>(DnsStatus.Ok, list));
        bool exists = txt.ContainsKey(name) || a.ContainsKey(name) || aaaa.ContainsKey(name) || mx.ContainsKey(name);
        return new(DnsAnswer<T>.Of(exists ? DnsStatus.NoData : DnsStatus.NxDomain));
    }

    public ValueTask<DnsAnswer<TxtRecord>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) => Answer(txt, name);

    public ValueTask<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) => Answer(a, name);

    public ValueTask<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) => Answer(aaaa, name);

    public ValueTask<DnsAnswer<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) => Answer(mx, name);

    public ValueTask<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        Queries++;
        return new(DnsAnswer<string>.Of(DnsStatus.NxDomain));
    }
}
