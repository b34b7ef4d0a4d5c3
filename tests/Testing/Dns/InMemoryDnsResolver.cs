using System.Collections.Concurrent;
using System.Net;
using Milters.Abstractions;

namespace Milters.Testing.Dns;

/// <summary>
/// An in-memory zone behind <see cref="IDnsResolver"/> for unit tests (whole-message tests use the real
/// DNS server in tests/peers). Names are case-insensitive, with or without a trailing dot. A name that has
/// any record answers NODATA for other types; an unknown name answers NXDOMAIN; names marked with
/// <see cref="Fail"/> answer the given error status for every type. Every query is counted.
/// </summary>
public sealed class InMemoryDnsResolver : IDnsResolver
{
    private readonly ConcurrentDictionary<(string Name, string Type), List<object>> records = new();
    private readonly ConcurrentDictionary<string, DnsStatus> failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> names = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> cnames = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> timeoutOtherTypes = new(StringComparer.OrdinalIgnoreCase);
    private int queries;

    public int QueryCount => queries;

    public List<string> QueryLog { get; } = new();

    private static string Norm(string name) => name.TrimEnd('.').ToLowerInvariant();

    private void Add(string name, string type, object value)
    {
        var n = Norm(name);
        names[n] = 0;
        records.GetOrAdd((n, type), _ => new List<object>()).Add(value);
    }

    public InMemoryDnsResolver AddTxt(string name, params string[] strings) { Add(name, "TXT", new TxtRecord(strings)); return this; }

    public InMemoryDnsResolver AddA(string name, string address) { Add(name, "A", IPAddress.Parse(address)); return this; }

    public InMemoryDnsResolver AddAaaa(string name, string address) { Add(name, "AAAA", IPAddress.Parse(address)); return this; }

    public InMemoryDnsResolver AddMx(string name, int preference, string exchange) { Add(name, "MX", new MxRecord(preference, Norm(exchange))); return this; }

    public InMemoryDnsResolver AddPtr(IPAddress address, string target) { Add(PtrName(address), "PTR", Norm(target)); return this; }

    /// <summary>PTR record by owner name ("4.3.2.1.in-addr.arpa"), as zone files write it.</summary>
    public InMemoryDnsResolver AddPtrName(string reverseName, string target) { Add(reverseName, "PTR", Norm(target)); return this; }

    /// <summary>An alias: queries for <paramref name="name"/> of a type it has no records of follow it (a loop answers ServerFailure).</summary>
    public InMemoryDnsResolver AddCname(string name, string target) { names[Norm(name)] = 0; cnames[Norm(name)] = Norm(target); return this; }

    /// <summary>Queries for types the name has no records of time out (the SPF suites' "TIMEOUT" zone entry).</summary>
    public InMemoryDnsResolver TimeOutOtherTypes(string name) { names[Norm(name)] = 0; timeoutOtherTypes[Norm(name)] = 0; return this; }

    /// <summary>Make a name exist without records (answers NODATA).</summary>
    public InMemoryDnsResolver AddEmptyName(string name) { names[Norm(name)] = 0; return this; }

    /// <summary>Every query for the name (any type) answers <paramref name="status"/> (ServerFailure, Timeout, Error).</summary>
    public InMemoryDnsResolver Fail(string name, DnsStatus status) { failures[Norm(name)] = status; return this; }

    public ValueTask<DnsAnswer<TxtRecord>> QueryTxtAsync(string name, CancellationToken cancellationToken = default) => Lookup<TxtRecord>(name, "TXT");

    public ValueTask<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) => Lookup<IPAddress>(name, "A");

    public ValueTask<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) => Lookup<IPAddress>(name, "AAAA");

    public ValueTask<DnsAnswer<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) => Lookup<MxRecord>(name, "MX");

    public ValueTask<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default) => Lookup<string>(PtrName(address), "PTR");

    private ValueTask<DnsAnswer<T>> Lookup<T>(string name, string type)
    {
        Interlocked.Increment(ref queries);
        var n = Norm(name);
        lock (QueryLog) QueryLog.Add($"{type} {n}");
        for (var hop = 0; hop < 16; hop++)
        {
            if (failures.TryGetValue(n, out var status)) return new(DnsAnswer<T>.Of(status, $"simulated {status}"));
            if (records.TryGetValue((n, type), out var list))
            {
                lock (list) return new(new DnsAnswer<T>(DnsStatus.Ok, list.Cast<T>().ToArray()));
            }
            if (cnames.TryGetValue(n, out var target)) { n = target; continue; }
            if (timeoutOtherTypes.ContainsKey(n)) return new(DnsAnswer<T>.Of(DnsStatus.Timeout, "simulated timeout"));
            return new(DnsAnswer<T>.Of(names.ContainsKey(n) ? DnsStatus.NoData : DnsStatus.NxDomain));
        }
        return new(DnsAnswer<T>.Of(DnsStatus.ServerFailure, "CNAME loop"));
    }

    /// <summary>The reverse-lookup name: d.c.b.a.in-addr.arpa or the nibble form under ip6.arpa.</summary>
    public static string PtrName(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        if (bytes.Length == 4) return $"{bytes[3]}.{bytes[2]}.{bytes[1]}.{bytes[0]}.in-addr.arpa";
        var nibbles = new List<string>(32);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            nibbles.Add((bytes[i] & 0xF).ToString("x"));
            nibbles.Add((bytes[i] >> 4).ToString("x"));
        }
        return string.Join('.', nibbles) + ".ip6.arpa";
    }
}
