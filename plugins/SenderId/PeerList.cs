using System.Net;
using System.Net.Sockets;

namespace Milters.SenderId;

/// <summary>
/// Clients whose mail is not checked (sid-filter -a): IPv4/IPv6 addresses (IPv4-mapped too), CIDR
/// blocks, host names and ".domain" suffixes; "!" in front excludes. Entries are tried in order and the
/// first that matches decides, so "!192.0.2.7" before "192.0.2.0/24" exempts one host from a block.
/// </summary>
public sealed class PeerList
{
    private readonly List<Entry> entries = new();

    private sealed record Entry(bool Negated, IPAddress? Network, int PrefixLength, string? Name);

    public PeerList(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw;
            var hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            line = line.Trim();
            if (line.Length == 0) continue;
            var negated = line.StartsWith('!');
            if (negated) line = line[1..].Trim();
            entries.Add(Parse(line, negated));
        }
    }

    public int Count => entries.Count;

    public static PeerList Load(SenderIdOptions options)
    {
        var lines = new List<string>(options.Peers);
        if (options.PeerListFile is not null)
        {
            try { lines.AddRange(File.ReadAllLines(options.PeerListFile)); }
            catch (IOException e) { throw new InvalidOperationException($"SenderId:PeerListFile {options.PeerListFile}: {e.Message}", e); }
            catch (UnauthorizedAccessException e) { throw new InvalidOperationException($"SenderId:PeerListFile {options.PeerListFile}: {e.Message}", e); }
        }
        return new PeerList(lines);
    }

    private static Entry Parse(string text, bool negated)
    {
        var slash = text.IndexOf('/');
        var addressPart = slash >= 0 ? text[..slash] : text;
        if (IPAddress.TryParse(addressPart, out var address) && (address.AddressFamily == AddressFamily.InterNetworkV6 || addressPart.Count(c => c == '.') == 3))
        {
            if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
            var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            var prefix = max;
            if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], out prefix) || prefix < 0 || prefix > max)
                && !(max == 32 && MaskPrefix(text[(slash + 1)..]) is { } masked && (prefix = masked) >= 0))
                throw new InvalidOperationException($"SenderId peer entry \"{text}\": bad prefix length");
            return new Entry(negated, address, prefix, null);
        }
        if (slash >= 0) throw new InvalidOperationException($"SenderId peer entry \"{text}\": not an address/prefix");
        return new Entry(negated, null, 0, text.TrimEnd('.').ToLowerInvariant());
    }

    /// <summary>"255.255.0.0", the netmask spelling older peer lists use, as a prefix length; null when it is not one.</summary>
    private static int? MaskPrefix(string text)
    {
        if (text.Count(c => c == '.') != 3 || !IPAddress.TryParse(text, out var mask) || mask.AddressFamily != AddressFamily.InterNetwork) return null;
        var bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        var prefix = System.Numerics.BitOperations.PopCount(bits);
        return bits == (prefix == 0 ? 0u : uint.MaxValue << (32 - prefix)) ? prefix : null;
    }

    /// <summary>True when the client is a peer (the first matching entry is not negated).</summary>
    public bool Contains(IPAddress? address, string? hostName)
    {
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();
        var host = hostName?.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        foreach (var e in entries)
        {
            bool match;
            if (e.Network is not null) match = address is not null && Spf.SpfEvaluator.InNetwork(address, e.Network, e.PrefixLength);
            else if (host is null) match = false;
            else if (e.Name!.StartsWith('.')) match = host.EndsWith(e.Name, StringComparison.Ordinal) || host == e.Name[1..];
            else match = host == e.Name;
            if (match) return !e.Negated;
        }
        return false;
    }
}
