using System.Net;
using System.Net.Sockets;

namespace Milters.LoadGen.Client;

/// <summary>
/// A milter socket in Sendmail's spelling (<c>inet:PORT@HOST</c>, <c>inet6:PORT@HOST</c>,
/// <c>unix:/path</c>, <c>local:/path</c>) or Postfix's (<c>inet:HOST:PORT</c>).
/// Only loopback targets are accepted: this tool generates load and must never aim it elsewhere.
/// </summary>
internal sealed record SocketSpec(EndPoint EndPoint, string Text)
{
    public bool IsUnix => EndPoint is UnixDomainSocketEndPoint;

    public string Transport => IsUnix ? "unix" : "tcp";

    public static SocketSpec Parse(string text)
    {
        int colon = text.IndexOf(':');
        if (colon < 0) throw new FormatException($"socket spec '{text}' has no kind (inet:, inet6:, unix:)");
        string kind = text[..colon].ToLowerInvariant();
        string rest = text[(colon + 1)..];
        switch (kind)
        {
            case "unix":
            case "local":
                if (rest.Length == 0) throw new FormatException("unix socket path is empty");
                return new SocketSpec(new UnixDomainSocketEndPoint(rest), text);
            case "inet":
            case "inet6":
                var (host, port) = SplitHostPort(rest);
                var address = host switch
                {
                    "localhost" or "" => kind == "inet6" ? IPAddress.IPv6Loopback : IPAddress.Loopback,
                    _ => IPAddress.Parse(host.Trim('[', ']')),
                };
                if (!IPAddress.IsLoopback(address))
                    throw new FormatException($"{address} is not a loopback address; load is only sent to this machine");
                return new SocketSpec(new IPEndPoint(address, port), text);
            default:
                throw new FormatException($"unknown socket kind '{kind}'");
        }
    }

    private static (string Host, int Port) SplitHostPort(string rest)
    {
        int at = rest.IndexOf('@');
        if (at >= 0) return (rest[(at + 1)..], int.Parse(rest[..at]));       // Sendmail: PORT@HOST
        int last = rest.LastIndexOf(':');
        if (last >= 0) return (rest[..last], int.Parse(rest[(last + 1)..])); // Postfix: HOST:PORT
        return ("127.0.0.1", int.Parse(rest));
    }

    public Socket CreateSocket()
    {
        if (IsUnix) return new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        return new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    }
}
