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

    private readonly string key;

    /// <param name="key">The configuration key the entries come from, for the error that names a bad one.</param>
    public HostList(IEnumerable<string> specs, string key)
    {
        this.key = key;
        foreach (var spec in specs) Add(spec);
    }

    public bool IsEmpty => entries.Count == 0;

    private void Add(string spec)
    {
        // "10.0.0.1  # the MX": a comment may follow an entry, as in the domain list.
        var hash = spec.IndexOf('#');
        if (hash >= 0) spec = spec[..hash];
        spec = spec.Trim();
        if (spec.Length == 0) return;
        if (spec.StartsWith('/'))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(spec);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Read when the configuration is: a missing list is a start-up error, not a tempfail of every message.
                throw new InvalidOperationException($"DomainKeys:{key}: cannot read the host list {spec}: {e.Message}", e);
            }
            foreach (var line in lines) Add(line);
            return;
        }
        var negated = spec.StartsWith('!');
        if (negated) spec = spec[1..].Trim();
        if (spec.StartsWith('[') && spec.EndsWith(']')) spec = spec[1..^1];
        // A zone ("fe80::1%eth0") says which link, not which address: the address alone is matched.
        if (spec.IndexOf('%') is > 0 and var zone && IPAddress.TryParse(spec[..zone], out var zoned) && zoned.AddressFamily == AddressFamily.InterNetworkV6)
            spec = spec[..zone];
        if (spec.IndexOf('/') is > 0 and var slash && IPAddress.TryParse(spec[..slash], out var start)
            && start.AddressFamily == AddressFamily.InterNetwork && spec[..slash].Count(c => c == '.') != 3)
            // IPAddress, as inet_aton, reads "10" as 0.0.0.10: "10/8" would be 0.0.0.0/8 and mail from 10.x silently
            // unsigned (or not exempted). dk-filter read it the same way; a clear refusal serves better.
            throw new InvalidOperationException($"DomainKeys:{key}: \"{spec}\": write the network's address in full (as in 10.0.0.0/8)");
        if (IPNetwork.TryParse(spec, out var network))
            entries.Add((negated, network, null));
        else if (NetmaskNetwork(spec) is { } masked)
            entries.Add((negated, masked, null));
        else if (IPAddress.TryParse(spec, out var address))
            entries.Add((negated, new IPNetwork(Normalize(address), Normalize(address).AddressFamily == AddressFamily.InterNetwork ? 32 : 128), null));
        else if (spec.IndexOfAny(['/', ':', ' ', '\t', '@']) >= 0 || spec.Length == 0)
            // "10.0.0.0/33" would otherwise be kept as a host name that never matches: mail from that network silently
            // unsigned (or not exempted).
            throw new InvalidOperationException($"DomainKeys:{key}: \"{spec}\" is not an address, a network (CIDR) or a host name");
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

    /// <summary>"10.0.0.0/255.0.0.0", the netmask spelling older lists use; null when it is not one (or the mask has holes).</summary>
    private static IPNetwork? NetmaskNetwork(string spec)
    {
        var slash = spec.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(spec[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !IPAddress.TryParse(spec[(slash + 1)..], out var mask) || mask.AddressFamily != AddressFamily.InterNetwork)
            return null;
        var bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        var prefix = System.Numerics.BitOperations.PopCount(bits);
        var contiguous = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        if (bits != contiguous) return null;
        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes()) & bits;
        var baseBytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(baseBytes, value);
        return new IPNetwork(new IPAddress(baseBytes), prefix);
    }
}
