using System.Net;

namespace Milters.Abstractions;

/// <summary>Outcome of one DNS query, in the terms SPF and DomainKeys care about.</summary>
public enum DnsStatus
{
    /// <summary>NOERROR with at least one record of the asked type.</summary>
    Ok,
    /// <summary>NOERROR without records of the asked type (NODATA).</summary>
    NoData,
    /// <summary>NXDOMAIN.</summary>
    NxDomain,
    /// <summary>SERVFAIL, REFUSED or another server error: a temporary error.</summary>
    ServerFailure,
    /// <summary>No answer within the configured time (after retries).</summary>
    Timeout,
    /// <summary>A malformed answer or a local failure: also a temporary error for SPF (RFC 7208 §2.6.6).</summary>
    Error,
}

/// <summary>The records of one query; <see cref="Records"/> is empty unless <see cref="Status"/> is Ok.</summary>
public sealed record DnsAnswer<T>(DnsStatus Status, IReadOnlyList<T> Records, string? Error = null)
{
    public bool IsTemporaryError => Status is DnsStatus.ServerFailure or DnsStatus.Timeout or DnsStatus.Error;

    /// <summary>Served from the host's answer cache, not asked of a server (metrics count the two apart).</summary>
    public bool FromCache { get; init; }

    /// <summary>NXDOMAIN or NODATA: the "void lookup" of RFC 7208 §4.6.4.</summary>
    public bool IsVoid => Status is DnsStatus.NxDomain or DnsStatus.NoData;

    public static DnsAnswer<T> Of(DnsStatus status, string? error = null) => new(status, Array.Empty<T>(), error);
}

/// <summary>One TXT resource record: its character-strings in order, as raw text (each ≤ 255 bytes).</summary>
public sealed record TxtRecord(IReadOnlyList<string> Strings)
{
    /// <summary>The strings concatenated without separators (RFC 7208 §3.3, RFC 4870 §3.2.3).</summary>
    public string Text => Strings.Count == 1 ? Strings[0] : string.Concat(Strings);
}

/// <summary>One MX record.</summary>
public sealed record MxRecord(int Preference, string Exchange);

/// <summary>
/// The host's single resolver (nameservers, port, timeout, retries, cache configured once), offered to
/// every plugin through DI. A narrow port over DnsClient so plugins do not share DnsClient's types and
/// tests can serve an in-memory zone. Names are absolute or relative to the root; no search list is applied.
/// </summary>
public interface IDnsResolver
{
    ValueTask<DnsAnswer<TxtRecord>> QueryTxtAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>A (IPv4) addresses.</summary>
    ValueTask<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>AAAA (IPv6) addresses.</summary>
    ValueTask<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default);

    ValueTask<DnsAnswer<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>PTR names for an address (the host builds the in-addr.arpa / ip6.arpa name).</summary>
    ValueTask<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default);
}
