using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace Milters.AuthResults;

/// <summary>
/// The networks whose mail is trusted to carry our own Authentication-Results already (RFC 8601 §5: the
/// removal applies to mail entering the ADMD). Addresses are matched after unmapping IPv4-mapped IPv6.
/// </summary>
public sealed class InternalHosts
{
    /// <summary>The local host only, as OpenDKIM's InternalHosts default.</summary>
    public static readonly InternalHosts Default = Parse(["127.0.0.1", "::1"], "default");

    private readonly IReadOnlyList<IPNetwork> networks;

    private InternalHosts(IReadOnlyList<IPNetwork> networks) => this.networks = networks;

    public IReadOnlyList<IPNetwork> Networks => networks;

    /// <summary>Entries are "192.0.2.1", "192.0.2.0/24", "192.0.2.0/255.255.255.0", "2001:db8::/32", "::1".</summary>
    public static InternalHosts Parse(IEnumerable<string> entries, string where)
    {
        var list = new List<IPNetwork>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry.Length == 0) continue;
            list.Add(TryParseEntry(entry, out var network)
                ? network
                : throw new InvalidOperationException($"{where}: \"{entry}\" is neither an IP address nor a CIDR network"));
        }
        return new InternalHosts(list);
    }

    /// <summary>
    /// "a.b.c.d", "a.b.c.d/n", "a.b.c.d/255.255.255.0" (the netmask spelling of older lists, as the DomainKeys and
    /// SenderId lists read it) and IPv6 alike; host bits are cleared, as most tools do: "192.0.2.7/24" is 192.0.2.0/24.
    /// An IPv4 address must have its four parts: IPAddress reads "10" as 0.0.0.10, so "10/8" would quietly trust 0.0.0.0/8.
    /// </summary>
    private static bool TryParseEntry(string entry, out IPNetwork network)
    {
        network = default;
        var slash = entry.IndexOf('/');
        var addressPart = slash < 0 ? entry : entry[..slash];
        if (!IPAddress.TryParse(addressPart, out var parsed)) return false;
        if (parsed.AddressFamily == AddressFamily.InterNetwork && addressPart.Count(c => c == '.') != 3) return false;
        var address = Unmap(parsed);
        var bits = address.GetAddressBytes().Length * 8;
        var prefix = bits;
        if (slash >= 0)
        {
            var prefixPart = entry[(slash + 1)..];
            if (int.TryParse(prefixPart, NumberStyles.None, CultureInfo.InvariantCulture, out prefix)) { if (prefix > bits) return false; }
            else if (bits != 32 || MaskPrefix(prefixPart) is not { } masked) return false;
            else prefix = masked;
        }

        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }

    /// <summary>"255.255.0.0" as a prefix length; null when it is not a netmask (its one bits not all leading).</summary>
    private static int? MaskPrefix(string text)
    {
        if (text.Count(c => c == '.') != 3 || !IPAddress.TryParse(text, out var mask) || mask.AddressFamily != AddressFamily.InterNetwork) return null;
        var value = BinaryPrimitives.ReadUInt32BigEndian(mask.GetAddressBytes());
        var prefix = BitOperations.PopCount(value);
        return value == (prefix == 0 ? 0u : uint.MaxValue << (32 - prefix)) ? prefix : null;
    }

    public bool Contains(IPAddress? address)
    {
        if (address is null) return false;
        var a = Unmap(address);
        foreach (var n in networks)
            if (n.Contains(a)) return true;
        return false;
    }

    private static IPAddress Unmap(IPAddress a) => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a;

    public override string ToString() => string.Join(", ", networks);
}
