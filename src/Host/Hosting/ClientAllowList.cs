using System.Net;

namespace Milters.Host.Hosting;

/// <summary>
/// Which MTAs may connect over TCP (<c>Listen:AllowedClients</c>): addresses and CIDR networks, IPv4 and
/// IPv6. The default is loopback only, so a milter bound to a public address by mistake does not serve
/// the world. IPv4-mapped IPv6 peers (::ffff:a.b.c.d) are matched as IPv4.
/// </summary>
public sealed class ClientAllowList
{
    public static readonly IReadOnlyList<string> DefaultEntries = ["127.0.0.0/8", "::1"];

    private readonly IPNetwork[] networks;

    private ClientAllowList(IPNetwork[] networks, bool isExplicit)
    {
        this.networks = networks;
        IsExplicit = isExplicit;
    }

    /// <summary>True when the configuration named the list (rather than taking the loopback default).</summary>
    public bool IsExplicit { get; }

    public IReadOnlyList<IPNetwork> Networks => networks;

    public static ClientAllowList LoopbackOnly { get; } = Parse(DefaultEntries, isExplicit: false);

    /// <summary>Parses entries like "127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"; a bad entry is a start-up error naming it.</summary>
    public static ClientAllowList Parse(IEnumerable<string> entries, bool isExplicit = true)
    {
        var list = new List<IPNetwork>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            if (entry.Length == 0) continue;
            if (entry.Contains('/'))
            {
                if (!IPNetwork.TryParse(entry, out var network) || !IPAddress.TryParse(entry[..entry.IndexOf('/')], out var given) || !given.Equals(network.BaseAddress))
                    throw new StartupException($"Listen:AllowedClients: \"{entry}\" is not an address or CIDR network (host bits must be zero, e.g. 10.0.0.0/8)");
                list.Add(network);
            }
            else
            {
                if (!IPAddress.TryParse(entry.Trim('[', ']'), out var address))
                    throw new StartupException($"Listen:AllowedClients: \"{entry}\" is not an address or CIDR network");
                address = Normalize(address);
                list.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
        }
        return new ClientAllowList(list.ToArray(), isExplicit);
    }

    public bool Allows(IPAddress address)
    {
        address = Normalize(address);
        foreach (var n in networks)
        {
            if (n.Contains(address)) return true;
        }
        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public override string ToString() => string.Join(", ", networks.Select(n => n.ToString()));
}
