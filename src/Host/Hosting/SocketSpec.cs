using System.Globalization;
using System.Net;

namespace Milters.Host.Hosting;

public enum SocketKind
{
    /// <summary>inet:PORT[@HOST] — TCP over IPv4 (or any address family the host names).</summary>
    Inet,
    /// <summary>inet6:PORT[@HOST] — TCP over IPv6.</summary>
    Inet6,
    /// <summary>unix:/path or local:/path — a Unix-domain stream socket.</summary>
    Unix,
}

/// <summary>
/// Where the milter listens, in libmilter's smfi_setconn spelling: <c>inet:PORT@HOST</c>, <c>inet:PORT</c>
/// (every IPv4 address), <c>inet6:PORT@HOST</c>, <c>unix:/path</c>, <c>local:/path</c>, a bare path
/// (libmilter treats a spec without a scheme as a Unix socket), and Postfix's <c>inet:HOST:PORT</c>.
/// <see cref="Text"/> keeps the administrator's spelling for messages.
/// </summary>
public sealed record SocketSpec(SocketKind Kind, string? Host, int Port, string? Path, string Text)
{
    public bool IsTcp => Kind is SocketKind.Inet or SocketKind.Inet6;

    public override string ToString() => Text;

    public static SocketSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw Bad(text ?? "", "it is empty (expected inet:PORT@HOST, inet6:PORT@HOST or unix:/path)");
        text = text.Trim();
        var colon = text.IndexOf(':');
        if (colon < 0)
        {
            if (text.StartsWith('/')) return new SocketSpec(SocketKind.Unix, null, 0, text, text);
            throw Bad(text, "no scheme (expected inet:PORT@HOST, inet6:PORT@HOST or unix:/path)");
        }

        var scheme = text[..colon].ToLowerInvariant();
        var rest = text[(colon + 1)..];
        switch (scheme)
        {
            case "unix":
            case "local":
                if (rest.Length == 0) throw Bad(text, "the socket path is missing");
                if (!rest.StartsWith('/')) throw Bad(text, "the socket path must be absolute");
                return new SocketSpec(SocketKind.Unix, null, 0, rest, text);
            case "inet":
            case "inet6":
                return ParseInet(text, scheme == "inet6" ? SocketKind.Inet6 : SocketKind.Inet, rest);
            default:
                throw Bad(text, $"unknown scheme \"{scheme}\" (expected inet, inet6, unix or local)");
        }
    }

    private static SocketSpec ParseInet(string text, SocketKind kind, string rest)
    {
        string portText;
        string? host;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            portText = rest[..at];
            host = rest[(at + 1)..];
            if (host.Length == 0) throw Bad(text, "the host after '@' is missing");
        }
        else if (kind == SocketKind.Inet && rest.LastIndexOf(':') is var c && c > 0 && !rest.StartsWith('['))
        {
            // Postfix spells it inet:HOST:PORT (smtpd_milters = inet:127.0.0.1:8891).
            host = rest[..c];
            portText = rest[(c + 1)..];
        }
        else if (rest.StartsWith('[') && rest.IndexOf("]:", StringComparison.Ordinal) is var b && b > 0)
        {
            host = rest[1..b];
            portText = rest[(b + 2)..];
        }
        else
        {
            portText = rest;
            host = null;
        }

        if (portText.Length == 0) throw Bad(text, "the port is missing");
        // Port 0 lets the system choose (tests, or a supervisor that reads the log line); libmilter would refuse it.
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 0 or > 65535)
            throw Bad(text, $"\"{portText}\" is not a port number (1-65535)");

        // "*" for every address, as the docs (and many an rc script) write it: the same as no host.
        if (host == "*") host = null;
        if (host is not null)
        {
            host = host.Trim('[', ']');
            if (IPAddress.TryParse(host, out var address))
            {
                if (kind == SocketKind.Inet6 && address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                    throw Bad(text, $"{host} is not an IPv6 address");
                if (kind == SocketKind.Inet && address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                    throw Bad(text, $"{host} is not an IPv4 address (use inet6:{port}@{host})");
            }
            else if (Uri.CheckHostName(host) != UriHostNameType.Dns)
            {
                throw Bad(text, $"\"{host}\" is not a host name or address");
            }
        }

        return new SocketSpec(kind, host, port, null, text);
    }

    private static StartupException Bad(string text, string why) => new($"bad socket specification \"{text}\": {why}");
}
