using System.Net;

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

    /// <summary>Entries are "192.0.2.1", "192.0.2.0/24", "2001:db8::/32", "::1".</summary>
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

    /// <summary>"a.b.c.d", "a.b.c.d/n" (host bits are cleared, as most tools do: "192.0.2.7/24" is 192.0.2.0/24).</summary>
    private static bool TryParseEntry(string entry, out IPNetwork network)
    {
        network = default;
        var slash = entry.IndexOf('/');
        if (!IPAddress.TryParse(slash < 0 ? entry : entry[..slash], out var parsed)) return false;
        var address = Unmap(parsed);
        var bits = address.GetAddressBytes().Length * 8;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(entry.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > bits))
            return false;

        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
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
