using System.Net;
using System.Net.Sockets;
using Milters.Abstractions;

namespace Milters.Host.Milter.Protocol;

/// <summary>SMFIC_CONNECT: hostname\0, family (SMFIA_*), then for 4/6/L a 16-bit port and address\0.</summary>
public static class ConnectPayload
{
    private const string Command = "SMFIC_CONNECT";

    public static ConnectionInfo Parse(ReadOnlySpan<byte> data)
    {
        var s = new CStrings(data, Command);
        string host = CStrings.Decode(s.Next("hostname"));
        byte family = s.NextByte("address family");
        switch (family)
        {
            case (byte)'U': // SMFIA_UNKNOWN: nothing follows
                s.End();
                return new ConnectionInfo(host, ClientFamily.Unknown, null, 0, null);
            case (byte)'L': // SMFIA_UNIX
            {
                int port = s.NextUInt16("port");
                string path = CStrings.Decode(s.Next("socket path"));
                s.End();
                return new ConnectionInfo(host, ClientFamily.Unix, null, port, path);
            }
            case (byte)'4': // SMFIA_INET
            {
                int port = s.NextUInt16("port");
                var text = s.Next("address");
                s.End();
                if (!IsDottedQuad(text) || !IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
                    throw new MilterProtocolException($"{Command}: invalid IPv4 address \"{CStrings.Decode(text)}\"");
                return new ConnectionInfo(host, ClientFamily.Inet, address, port, null);
            }
            case (byte)'6': // SMFIA_INET6
            {
                int port = s.NextUInt16("port");
                var text = s.Next("address");
                s.End();
                // Sendmail writes "IPv6:" before the address in some builds; the address follows.
                if (text.Length > 5 && System.Text.Ascii.EqualsIgnoreCase(text[..5], "IPv6:"u8)) text = text[5..];
                if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
                    throw new MilterProtocolException($"{Command}: invalid IPv6 address \"{CStrings.Decode(text)}\"");
                return new ConnectionInfo(host, ClientFamily.Inet6, address, port, null);
            }
            default:
                throw new MilterProtocolException($"{Command}: unknown address family 0x{family:x2}");
        }
    }

    /// <summary>
    /// IPAddress.TryParse also takes "1" or "0x7f.1" (inet_aton forms); an MTA writes four decimal octets.
    /// </summary>
    private static bool IsDottedQuad(ReadOnlySpan<byte> text)
    {
        int parts = 0, digits = 0, value = 0;
        foreach (byte b in text)
        {
            if (b == (byte)'.')
            {
                if (digits == 0) return false;
                parts++;
                digits = 0;
                value = 0;
            }
            else if (b is >= (byte)'0' and <= (byte)'9')
            {
                value = value * 10 + (b - '0');
                if (++digits > 3 || value > 255) return false;
            }
            else return false;
        }
        return parts == 3 && digits > 0;
    }
}
