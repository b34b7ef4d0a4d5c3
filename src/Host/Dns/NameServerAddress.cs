using System.Globalization;
using System.Net;
using Milters.Host.Hosting;

namespace Milters.Host.Dns;

/// <summary>Parses a DNS server as HOST[:PORT]: "127.0.0.1", "127.0.0.1:5353", "[::1]:5353", "::1" (port 53 by default).</summary>
public static class NameServerAddress
{
    public const int DefaultPort = 53;

    public static IPEndPoint Parse(string text)
    {
        var t = text.Trim();
        string host;
        var port = DefaultPort;
        if (t.StartsWith('['))
        {
            var close = t.IndexOf(']');
            if (close < 0) throw Bad(text, "missing ']'");
            host = t[1..close];
            var rest = t[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':')) throw Bad(text, "expected :PORT after ']'");
                port = ParsePort(text, rest[1..]);
            }
        }
        else if (t.Count(c => c == ':') == 1)
        {
            var colon = t.IndexOf(':');
            host = t[..colon];
            port = ParsePort(text, t[(colon + 1)..]);
        }
        else
        {
            host = t; // an IPv4 address, or a bare IPv6 address without a port
        }

        // An address, never a name: resolving the resolver would need a resolver.
        if (!IPAddress.TryParse(host, out var address)) throw Bad(text, $"\"{host}\" is not an IP address");
        return new IPEndPoint(address, port);
    }

    private static int ParsePort(string text, string port)
    {
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            throw Bad(text, $"\"{port}\" is not a port number");
        return p;
    }

    private static StartupException Bad(string text, string why) =>
        new($"bad DNS server \"{text}\" (in Dns:Servers or --nameserver): {why}; expected HOST:PORT like 127.0.0.1:5353 or [::1]:5353");
}
