using System.Net;

namespace Milters.Abstractions;

/// <summary>Address family of the SMTP client, as in SMFIC_CONNECT (SMFIA_*).</summary>
public enum ClientFamily
{
    Unknown,  // SMFIA_UNKNOWN 'U'
    Unix,     // SMFIA_UNIX 'L'
    Inet,     // SMFIA_INET '4'
    Inet6,    // SMFIA_INET6 '6'
}

/// <summary>The SMTP client of the connection (SMFIC_CONNECT).</summary>
public sealed record ConnectionInfo(string HostName, ClientFamily Family, IPAddress? Address, int Port, string? UnixPath)
{
    public static readonly ConnectionInfo Unknown = new("unknown", ClientFamily.Unknown, null, 0, null);
}

/// <summary>SMTP envelope of the current message.</summary>
public sealed class Envelope
{
    /// <summary>MAIL FROM address without angle brackets; "" for the null sender &lt;&gt;; null before MAIL FROM.</summary>
    public string? MailFrom { get; set; }

    /// <summary>ESMTP arguments given with MAIL FROM (e.g. "SIZE=1234").</summary>
    public IList<string> MailFromArguments { get; } = new List<string>();

    /// <summary>RCPT TO addresses without angle brackets, in order.</summary>
    public IList<string> Recipients { get; } = new List<string>();

    public void Clear()
    {
        MailFrom = null;
        MailFromArguments.Clear();
        Recipients.Clear();
    }
}
