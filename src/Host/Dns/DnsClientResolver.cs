using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Milters.Abstractions;
using AbsTxtRecord = Milters.Abstractions.TxtRecord;
using MxRecord = Milters.Abstractions.MxRecord;

namespace Milters.Host.Dns;

/// <summary>
/// The host's one resolver, over DnsClient's <see cref="LookupClient"/> configured once from
/// <see cref="DnsOptions"/>. Queries are asked as absolute names (no search list), truncated UDP answers are
/// retried over TCP, and every outcome maps to a <see cref="DnsStatus"/> rather than an exception, because
/// SPF and DomainKeys treat "no record", "no domain" and "try later" differently (RFC 7208 §2.6.6, §4.3).
/// </summary>
public sealed class DnsClientResolver : IDnsResolver
{
    private readonly LookupClient client;
    private readonly DnsAnswerCache? cache;

    public DnsClientResolver(DnsOptions options)
    {
        Options = options;
        var clientOptions = options.Servers.Count == 0
            ? new LookupClientOptions()
            : new LookupClientOptions(options.Servers.ToArray());
        clientOptions.Timeout = options.Timeout;
        clientOptions.Retries = options.Retries;
        // Our own bounded cache (DnsAnswerCache) instead of DnsClient's unbounded one.
        clientOptions.UseCache = false;
        if (options.UseCache) cache = new DnsAnswerCache(options.CacheMegabytes * 1024L * 1024L);
        clientOptions.UseTcpFallback = true;
        clientOptions.ThrowDnsErrors = false;
        // NXDOMAIN from one server is the answer, not a reason to ask the next (that would double the
        // lookups SPF counts); servers are tried in the configured order, as resolv.conf does.
        clientOptions.ContinueOnDnsError = false;
        clientOptions.ContinueOnEmptyResponse = false;
        clientOptions.UseRandomNameServer = false;
        clientOptions.CacheFailedResults = false;
        clientOptions.EnableAuditTrail = false;
        client = new LookupClient(clientOptions);
    }

    public DnsOptions Options { get; }

    public async ValueTask<DnsAnswer<AbsTxtRecord>> QueryTxtAsync(string name, CancellationToken cancellationToken = default)
    {
        // Each RR's character-strings stay separate (RFC 7208 §3.3 joins them; RFC 4870 §3.2.3 too — the caller decides).
        return await QueryAsync(name, QueryType.TXT, r => r.Answers.TxtRecords().Select(t => new AbsTxtRecord(t.Text.ToArray())), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.A, r => r.Answers.ARecords().Select(a => a.Address), cancellationToken);

    public ValueTask<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.AAAA, r => r.Answers.AaaaRecords().Select(a => a.Address), cancellationToken);

    public ValueTask<DnsAnswer<MxRecord>> QueryMxAsync(string name, CancellationToken cancellationToken = default) =>
        QueryAsync(name, QueryType.MX, r => r.Answers.MxRecords().Select(m => new MxRecord(m.Preference, TrimDot(m.Exchange.Value))), cancellationToken);

    public ValueTask<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return QueryAsync(address.GetArpaName(), QueryType.PTR, r => r.Answers.PtrRecords().Select(p => TrimDot(p.PtrDomainName.Value)), cancellationToken);
    }

    private async ValueTask<DnsAnswer<T>> QueryAsync<T>(string name, QueryType type, Func<IDnsQueryResponse, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        // A name that cannot be asked for cannot exist: NXDOMAIN, not a temporary error. A selector with a tab in it
        // or an empty label ("s=good." makes good.._domainkey…, which DnsClient sends and a server answers FORMERR)
        // must not tempfail the message for ever; for SPF it is a void lookup, as a resolver that refuses such a
        // name answers NXDOMAIN.
        if (UnaskableReason(name) is { } reason) return DnsAnswer<T>.Of(DnsStatus.NxDomain, $"invalid name \"{name}\": {reason}");
        DnsQuestion question;
        try
        {
            question = new DnsQuestion(Absolute(name), type, QueryClass.IN);
        }
        catch (ArgumentException e)
        {
            return DnsAnswer<T>.Of(DnsStatus.NxDomain, $"invalid name \"{name}\": {e.Message}");
        }

        if (cache is not null && cache.TryGet<DnsAnswer<T>>(type, question.QueryName.Value, out var cached)) return cached!;

        IDnsQueryResponse response;
        try
        {
            response = await client.QueryAsync(question, cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException e) when (e.Code == DnsResponseCode.ConnectionTimeout)
        {
            return DnsAnswer<T>.Of(DnsStatus.Timeout, Short(e.Message));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Anything else from the client is an answer we could not use — a wrong id (DnsXidMismatchException), an
            // unparseable packet (DnsResponseParseException, whose message holds the packet), a socket failure —
            // and the caller must treat it as temporary (RFC 7208 §2.6.6), never as an internal error.
            return DnsAnswer<T>.Of(DnsStatus.Error, $"{e.GetType().Name}: {Short(e.Message)}");
        }

        switch (response.Header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                var records = select(response).ToArray();
                if (records.Length == 0) return DnsAnswer<T>.Of(DnsStatus.NoData);
                var answer = new DnsAnswer<T>(DnsStatus.Ok, records);
                if (cache is not null && response.Answers.Count > 0)
                {
                    var ttl = TimeSpan.FromSeconds(response.Answers.Min(r => Math.Max(0, r.InitialTimeToLive)));
                    cache.Set(type, question.QueryName.Value, answer with { FromCache = true }, ttl, SizeOf(question.QueryName.Value, records));
                }
                return answer;
            case DnsHeaderResponseCode.NotExistentDomain:
                return DnsAnswer<T>.Of(DnsStatus.NxDomain);
            case DnsHeaderResponseCode.FormatError:
                return DnsAnswer<T>.Of(DnsStatus.Error, "the server answered FORMERR");
            default:
                return DnsAnswer<T>.Of(DnsStatus.ServerFailure, $"the server answered {response.Header.ResponseCode}");
        }
    }

    /// <summary>
    /// What an answer holds in memory, from the parsed records rather than the packet: name compression lets 4,000
    /// MX records of a 250-character name travel in 200 KB and take 2.3 MB as strings (found by an independent review).
    /// </summary>
    internal static long SizeOf<T>(string name, T[] records)
    {
        long size = 200 + 2L * name.Length;
        foreach (var record in records)
        {
            size += record switch
            {
                AbsTxtRecord txt => 56 + txt.Strings.Sum(t => 32L + 2L * t.Length),
                MxRecord mx => 64 + 2L * mx.Exchange.Length,
                string text => 40 + 2L * text.Length,
                _ => 64,
            };
        }
        return size;
    }

    /// <summary>An error text for a log line or a reason: never a whole packet.</summary>
    private static string Short(string message) => message.Length <= 200 ? message : message[..197] + "...";

    /// <summary>A trailing dot makes the name absolute: no search list, ever.</summary>
    /// <summary>Why no query can carry <paramref name="name"/> (RFC 1035 §2.3.4, §3.1), or null.</summary>
    internal static string? UnaskableReason(string name)
    {
        var relative = name.EndsWith('.') ? name.AsSpan(0, name.Length - 1) : name.AsSpan();
        if (relative.IsEmpty) return "empty name";
        if (relative.Length > 253) return "longer than 253 octets";
        foreach (var range in relative.Split('.'))
        {
            var length = range.End.GetOffset(relative.Length) - range.Start.GetOffset(relative.Length);
            if (length == 0) return "empty label";
            if (length > 63) return "label longer than 63 octets";
        }
        return null;
    }

    private static string Absolute(string name) => name.EndsWith('.') ? name : name + ".";

    private static string TrimDot(string name) => name.Length > 1 && name.EndsWith('.') ? name[..^1] : name;
}
