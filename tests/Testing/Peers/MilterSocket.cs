namespace Milters.Testing.Peers;

/// <summary>
/// Where a milter listens, in the three spellings in use: the milter's own / Sendmail's
/// (<c>inet:PORT@127.0.0.1</c>), Postfix's (<c>inet:127.0.0.1:PORT</c>) and miltertest's (same as Sendmail).
/// </summary>
public sealed record MilterSocket
{
    private MilterSocket(int? port, string? path)
    {
        Port = port;
        UnixPath = path;
    }

    public int? Port { get; }

    public string? UnixPath { get; }

    public static MilterSocket Inet(int port) => new(port, null);

    public static MilterSocket Unix(string path) => new(null, path);

    /// <summary>A TCP socket on a free loopback port.</summary>
    public static MilterSocket FreeInet() => Inet(FreePort.Tcp());

    /// <summary><c>inet:PORT@127.0.0.1</c> or <c>unix:/path</c>: the milter's Listen:Socket and Sendmail's S= equate.</summary>
    public string Spec => Port is int p ? $"inet:{p}@127.0.0.1" : $"unix:{UnixPath}";

    public string SendmailSpec => Spec;

    public string MiltertestSpec => Spec;

    /// <summary><c>inet:127.0.0.1:PORT</c> or <c>unix:/path</c>, the smtpd_milters spelling.</summary>
    public string PostfixSpec => Port is int p ? $"inet:127.0.0.1:{p}" : $"unix:{UnixPath}";

    public override string ToString() => Spec;
}
