using System.Net;

namespace Milters.SenderId.Spf;

/// <summary>
/// The values macro letters stand for (RFC 7208 §7.2) during one check_host() call. <see cref="Domain"/>
/// changes with include/redirect; the rest stays. %{p} needs DNS, so it is computed on demand by
/// <see cref="ValidatedName"/> and only when a record uses it.
/// </summary>
public sealed record MacroContext(
    string Sender,
    string Domain,
    IPAddress Ip,
    string Helo,
    string Receiver,
    DateTimeOffset Now,
    Func<string, ValueTask<string>> ValidatedName)
{
    /// <summary>Local-part of <see cref="Sender"/> (l).</summary>
    public string LocalPart => Sender[..Sender.LastIndexOf('@')];

    /// <summary>Domain of <see cref="Sender"/> (o).</summary>
    public string SenderDomain => Sender[(Sender.LastIndexOf('@') + 1)..];
}
