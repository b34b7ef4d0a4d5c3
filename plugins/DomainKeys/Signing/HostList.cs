using System.Net;
using System.Net.Sockets;
using Milters.Abstractions;

namespace Milters.DomainKeys.Signing;

/// <summary>
/// A dk-filter style host list (-a, -i, -I): IP addresses, CIDR networks, host names and ".domain" suffixes;
/// "!" in front excludes (an exclusion wins over any inclusion). An entry starting with "/" is a file
/// holding entries one per line ("#" comments). IPv4-mapped IPv6 addresses match their IPv4 entries.
/// </summary>
internal sealed class HostList
{
    private readonly List<(bool Negated, IPNetwork? Network, string? Name)> entries = new();

    public HostList(IEnumerable<string> specs)
    {
        foreach (var spec in specs) Add(spec);
    }

    public bool IsEmpty => entries.Count == 0;

    private void Add(string spec)
    {
        spec = spec.Trim();
        if (spec.Length == 0 || spec.StartsWith('#')) return;
        if (spec.StartsWith('/'))
        {
            foreach (var line in File.ReadAllLines(spec)) Add(line);
            return;
        }
        var negated = spec.StartsWith('!');
        if (negated) spec = spec[1..].Trim();
        if (spec.StartsWith('[') && spec.EndsWith(']')) spec = spec[1..^1];
        if (IPNetwork.TryParse(spec, out var network))
            entries.Add((negated, network, null));
        else if (IPAddress.TryParse(spec, out var address))
            entries.Add((negated, new IPNetwork(Normalize(address), Normalize(address).AddressFamily == AddressFamily.InterNetwork ? 32 : 128), null));
        else
            entries.Add((negated, null, spec.TrimEnd('.').ToLowerInvariant()));
    }

    public bool Contains(ConnectionInfo connection)
    {
        var address = connection.Address is null ? null : Normalize(connection.Address);
        var host = connection.HostName.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        var matched = false;
        foreach (var (negated, network, name) in entries)
        {
            var hit = network is { } n
                ? address is not null && address.AddressFamily == n.BaseAddress.AddressFamily && n.Contains(address)
                : name is not null && (name.StartsWith('.') ? host.EndsWith(name, StringComparison.Ordinal) || host == name[1..] : host == name);
            if (!hit) continue;
            if (negated) return false;
            matched = true;
        }
        return matched;
    }

    private static IPAddress Normalize(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;
}
