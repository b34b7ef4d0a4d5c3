using System.Globalization;
using Milters.Host.Hosting;

namespace Milters.Host.Commands;

/// <summary>
/// The MTA side of a migration: the one Sendmail INPUT_MAIL_FILTER line and the Postfix smtpd_milters value
/// that replace the two old filters. Written in the shape of tests/peers/mta-snippets (the lines the
/// integration tests run the MTAs with), with the production defaults documented in docs/ADMIN.md.
/// </summary>
public static class MigrateMtaLines
{
    /// <summary>Sendmail's name for the filter (Milter (milters): … in its log).</summary>
    public const string FilterName = "milters";

    /// <summary>F=T: tempfail while the filter is unreachable, as dk-filter's and sid-filter's documentation advised.</summary>
    public const string Flags = "F=T, ";

    /// <summary>Connect, send, read and end-of-message timeouts; E: covers the DNS lookups done at end of message.</summary>
    public const string Timeouts = "C:10s;S:30s;R:30s;E:60s";

    /// <summary>
    /// The end-of-message timeout for a DNS budget of <paramref name="dnsBudget"/> (Dns:Timeout × (Retries + 1)):
    /// at least 60 s, and 30 s more than the budget, so Sendmail does not give up on the filter while it still
    /// waits on a slow name server (a `-T 20` line gave 60 s of lookups against E:60s).
    /// </summary>
    public static TimeSpan EndOfMessageTimeout(TimeSpan dnsBudget) =>
        TimeSpan.FromSeconds(Math.Max(60, Math.Ceiling(dnsBudget.TotalSeconds) + 30));

    /// <summary><c>INPUT_MAIL_FILTER(`milters', `S=inet:8891@127.0.0.1, F=T, T=…')dnl</c> in Sendmail's socket spelling.</summary>
    public static string SendmailInputMailFilter(SocketSpec socket, TimeSpan? endOfMessage = null) =>
        $"INPUT_MAIL_FILTER(`{FilterName}', `S={SendmailSocket(socket)}, {Flags}T={TimeoutsWith(endOfMessage)}')dnl";

    private static string TimeoutsWith(TimeSpan? endOfMessage) => endOfMessage is not { } e || e.TotalSeconds <= 60
        ? Timeouts
        : Timeouts.Replace("E:60s", $"E:{(int)e.TotalSeconds}s", StringComparison.Ordinal);

    /// <summary>The smtpd_milters value in Postfix's spelling: inet:HOST:PORT, inet:[v6]:PORT or unix:/path.</summary>
    public static string PostfixMilter(SocketSpec socket)
    {
        if (socket.Kind == SocketKind.Unix) return "unix:" + socket.Path;
        var host = string.IsNullOrEmpty(socket.Host) || socket.Host is "*" ? (socket.Kind == SocketKind.Inet6 ? "::1" : "127.0.0.1") : socket.Host;
        if (host.Contains(':')) host = "[" + host.Trim('[', ']') + "]";
        return $"inet:{host}:{socket.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>libmilter spelling (what Sendmail's S= takes): inet:PORT@HOST, inet6:PORT@HOST, local:/path.</summary>
    public static string SendmailSocket(SocketSpec socket)
    {
        if (socket.Kind == SocketKind.Unix) return "local:" + socket.Path;
        var scheme = socket.Kind == SocketKind.Inet6 ? "inet6" : "inet";
        var port = socket.Port.ToString(CultureInfo.InvariantCulture);
        return string.IsNullOrEmpty(socket.Host) || socket.Host == "*" ? $"{scheme}:{port}@{(scheme == "inet6" ? "::1" : "127.0.0.1")}" : $"{scheme}:{port}@{socket.Host.Trim('[', ']')}";
    }
}
