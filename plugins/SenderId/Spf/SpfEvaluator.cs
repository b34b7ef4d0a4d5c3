using System.Net;
using System.Net.Sockets;
using Milters.Abstractions;

namespace Milters.SenderId.Spf;

/// <summary>
/// check_host() of RFC 7208 §4 with the Sender ID scopes of RFC 4406 §4, over the host's
/// <see cref="IDnsResolver"/>. Written here rather than taken from a library: the .NET SPF
/// implementations we know (e.g. ARSoft.Tools.Net's validator) bring their own DNS client, so they would
/// bypass the host's single resolver configuration (servers, port, timeout, cache) and the in-memory zone
/// of the tests, and none evaluates the spf2.0 pra/mfrom scopes with the RFC 4406 §4.4 precedence.
/// Stateless and thread-safe: one instance serves every message.
/// </summary>
public sealed class SpfEvaluator(IDnsResolver dns, SpfEvaluatorOptions? options = null, TimeProvider? time = null)
{
    private readonly IDnsResolver dns = dns;
    private readonly SpfEvaluatorOptions options = options ?? new SpfEvaluatorOptions();
    private readonly TimeProvider time = time ?? TimeProvider.System;

    public SpfEvaluatorOptions Options => options;

    public async Task<SpfOutcome> CheckHostAsync(SpfRequest request, CancellationToken cancellationToken = default)
    {
        var ip = request.Ip.IsIPv4MappedToIPv6 ? request.Ip.MapToIPv4() : request.Ip;
        var run = new Evaluation(this, request, ip, cancellationToken);
        try
        {
            var outcome = await run.CheckHostAsync(request.Domain, topLevel: true).ConfigureAwait(false);
            return outcome with { DnsTerms = run.DnsTerms, VoidLookups = run.VoidLookups, LocalPartUsed = run.LocalPartUsed };
        }
        catch (SpfException e)
        {
            return new SpfOutcome(e.Result, e.Message, null, null, run.DnsTerms, run.VoidLookups) { LocalPartUsed = run.LocalPartUsed };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A resolver that gives up by cancelling (its own timeout) is a DNS timeout: temperror (RFC 7208 §2.6.6).
            return new SpfOutcome(SpfResult.TempError, "DNS timeout", null, null, run.DnsTerms, run.VoidLookups) { LocalPartUsed = run.LocalPartUsed };
        }
    }

    /// <summary>The state of one evaluation: limits are counted across include and redirect (RFC 7208 §4.6.4).</summary>
    private sealed class Evaluation(SpfEvaluator owner, SpfRequest request, IPAddress ip, CancellationToken ct)
    {
        private readonly IDnsResolver dns = owner.dns;
        private readonly SpfEvaluatorOptions options = owner.options;
        private readonly bool ipv6 = ip.AddressFamily == AddressFamily.InterNetworkV6;

        public int DnsTerms { get; private set; }

        public int VoidLookups { get; private set; }

        public bool LocalPartUsed { get; private set; }

        /// <summary>Expands a name to look up (not an explanation), noting whether it used the local-part.</summary>
        private ValueTask<string> ExpandNameAsync(MacroString spec, string domain)
        {
            if (spec.UsesLocalPart) LocalPartUsed = true;
            return MacroExpander.ExpandDomainAsync(spec, Context(domain));
        }

        private MacroContext Context(string domain) => new(
            request.Sender, domain, ip, request.Helo, request.Receiver ?? options.ReceiverName, owner.time.GetUtcNow(), ValidatedNameAsync);

        public async Task<SpfOutcome> CheckHostAsync(string domain, bool topLevel)
        {
            // RFC 7208 §4.3: a malformed or single-label domain gives "none" without any lookup.
            if (!DomainSpec.IsValidDomain(domain)) return new SpfOutcome(SpfResult.None, $"invalid domain \"{domain}\"");
            domain = domain.TrimEnd('.');
            var answer = await dns.QueryTxtAsync(domain, ct).ConfigureAwait(false);
            if (answer.IsTemporaryError) throw SpfException.Temp($"DNS {answer.Status} looking up TXT {domain}");
            // RFC 4406 §4.3: for the PRA test, NXDOMAIN for the PRA's domain means Fail.
            if (topLevel && request.Scope == SpfScope.Pra && answer.Status == DnsStatus.NxDomain)
                return new SpfOutcome(SpfResult.Fail, $"domain {domain} does not exist");
            var text = SpfRecordSelector.Select(answer.Records, request.Scope, options.UseSpf1ForPra);
            if (text is null)
            {
                if (!topLevel || options.BestGuessRecord is null)
                    return new SpfOutcome(SpfResult.None, $"no SPF record for {domain}");
                // Said in the reason, so no header presents a guess as the domain's own policy.
                var guessed = await EvaluateAsync(SpfRecordParser.Parse(options.BestGuessRecord), domain).ConfigureAwait(false);
                return guessed with { Reason = $"best guess, no SPF record for {domain}: {guessed.Reason}", BestGuess = true };
            }
            var record = SpfRecordParser.Parse(text);
            return await EvaluateAsync(record, domain).ConfigureAwait(false);
        }

        private async Task<SpfOutcome> EvaluateAsync(SpfRecord record, string domain)
        {
            foreach (var directive in record.Directives)
            {
                if (directive.QueriesDns) CountDnsTerm();
                if (!await MatchesAsync(directive, domain).ConfigureAwait(false)) continue;
                var result = directive.Qualifier.ToResult();
                var term = Describe(directive);
                string? explanation = null;
                if (result == SpfResult.Fail) explanation = await ExplainAsync(record, domain).ConfigureAwait(false);
                return new SpfOutcome(result, $"{domain}: mechanism {term} matched", explanation, term);
            }
            if (record.Redirect is not null)
            {
                // RFC 7208 §6.1: used when no mechanism matched (a record with "all" always ends above).
                CountDnsTerm();
                var target = await ExpandNameAsync(record.Redirect, domain).ConfigureAwait(false);
                if (!DomainSpec.IsValidDomain(target)) throw SpfException.Perm($"redirect to invalid domain \"{target}\"");
                var outcome = await CheckHostAsync(target, topLevel: false).ConfigureAwait(false);
                if (outcome.Result == SpfResult.None) throw SpfException.Perm($"redirect target {target} has no SPF record");
                return outcome;
            }
            // RFC 7208 §4.7: no match and no redirect → neutral.
            return new SpfOutcome(SpfResult.Neutral, $"{domain}: no mechanism matched");
        }

        private void CountDnsTerm()
        {
            if (++DnsTerms > SpfLimits.MaxDnsQueryingTerms)
                throw SpfException.Perm($"more than {SpfLimits.MaxDnsQueryingTerms} DNS-querying terms");
        }

        private void CountVoid()
        {
            if (++VoidLookups > SpfLimits.MaxVoidLookups)
                throw SpfException.Perm($"more than {SpfLimits.MaxVoidLookups} void lookups");
        }

        private async ValueTask<string> TargetAsync(SpfDirective directive, string domain) =>
            directive.Domain is null ? domain
                : await ExpandNameAsync(directive.Domain, domain).ConfigureAwait(false);

        private async ValueTask<bool> MatchesAsync(SpfDirective d, string domain)
        {
            switch (d.Kind)
            {
                case SpfMechanismKind.All:
                    return true;
                case SpfMechanismKind.Ip4:
                    return !ipv6 && InNetwork(ip, d.Network!, d.Ip4Cidr);
                case SpfMechanismKind.Ip6:
                    return ipv6 && InNetwork(ip, d.Network!, d.Ip6Cidr);
                case SpfMechanismKind.Include:
                {
                    var target = await TargetAsync(d, domain).ConfigureAwait(false);
                    var inner = await CheckHostAsync(target, topLevel: false).ConfigureAwait(false);
                    // RFC 7208 §5.2 table.
                    return inner.Result switch
                    {
                        SpfResult.Pass => true,
                        SpfResult.Fail or SpfResult.SoftFail or SpfResult.Neutral => false,
                        SpfResult.TempError => throw SpfException.Temp($"include:{target}: {inner.Reason}"),
                        SpfResult.None => throw SpfException.Perm($"include:{target} has no SPF record"),
                        _ => throw SpfException.Perm($"include:{target}: {inner.Reason}"),
                    };
                }
                case SpfMechanismKind.A:
                {
                    var target = await TargetAsync(d, domain).ConfigureAwait(false);
                    var addresses = await AddressesAsync(target, countVoid: true).ConfigureAwait(false);
                    return addresses.Any(a => InNetwork(ip, a, ipv6 ? d.Ip6Cidr : d.Ip4Cidr));
                }
                case SpfMechanismKind.Mx:
                    return await MatchesMxAsync(d, await TargetAsync(d, domain).ConfigureAwait(false)).ConfigureAwait(false);
                case SpfMechanismKind.Ptr:
                {
                    var target = await TargetAsync(d, domain).ConfigureAwait(false);
                    // Only names that could match are validated (RFC 7208 §5.5 allows it; fewer lookups).
                    var names = await ValidatedNamesAsync(n => DomainSpec.IsSameOrSubdomain(n, target)).ConfigureAwait(false);
                    return names.Count > 0;
                }
                case SpfMechanismKind.Exists:
                {
                    var target = await TargetAsync(d, domain).ConfigureAwait(false);
                    if (!IsQueryable(target)) return false;
                    // RFC 7208 §5.7: always an A lookup, even for an IPv6 client.
                    var answer = await dns.QueryAAsync(target, ct).ConfigureAwait(false);
                    if (answer.IsTemporaryError) throw SpfException.Temp($"DNS {answer.Status} looking up A {target}");
                    if (answer.IsVoid) CountVoid();
                    return answer.Records.Count > 0;
                }
                default:
                    throw new InvalidOperationException($"unhandled mechanism {d.Kind}");
            }
        }

        private async ValueTask<bool> MatchesMxAsync(SpfDirective d, string target)
        {
            if (!IsQueryable(target)) return false;
            var answer = await dns.QueryMxAsync(target, ct).ConfigureAwait(false);
            if (answer.IsTemporaryError) throw SpfException.Temp($"DNS {answer.Status} looking up MX {target}");
            if (answer.IsVoid) { CountVoid(); return false; }
            // RFC 7208 §4.6.4: no more than 10 exchanges' addresses are queried, and the permerror comes only when an
            // eleventh would be needed — a match among the first ten stands, as with Mail::SPF, which ignores the
            // rest (RFC 4408's rule). Preference order, so the outcome does not depend on the server's RRset order.
            var looked = 0;
            foreach (var mx in answer.Records.OrderBy(r => r.Preference))
            {
                var exchange = mx.Exchange.TrimEnd('.');
                if (exchange.Length == 0) continue; // RFC 7505 null MX
                if (++looked > SpfLimits.MaxMxNames)
                    throw SpfException.Perm($"{answer.Records.Count} MX records for {target}: no match among the first {SpfLimits.MaxMxNames}, and no more may be looked up");
                // Each exchange's address lookup is a void lookup when empty, as pyspf and Mail::SPF count it.
                var addresses = await AddressesAsync(exchange, countVoid: true).ConfigureAwait(false);
                if (addresses.Any(a => InNetwork(ip, a, ipv6 ? d.Ip6Cidr : d.Ip4Cidr))) return true;
            }
            return false;
        }

        /// <summary>A or AAAA records of <paramref name="name"/>, as fits the client (RFC 7208 §5.3); DNS errors are temperror.</summary>
        private async ValueTask<IReadOnlyList<IPAddress>> AddressesAsync(string name, bool countVoid)
        {
            if (!IsQueryable(name)) return Array.Empty<IPAddress>();
            var answer = ipv6 ? await dns.QueryAaaaAsync(name, ct).ConfigureAwait(false)
                              : await dns.QueryAAsync(name, ct).ConfigureAwait(false);
            if (answer.IsTemporaryError) throw SpfException.Temp($"DNS {answer.Status} looking up {(ipv6 ? "AAAA" : "A")} {name}");
            if (answer.IsVoid && countVoid) CountVoid();
            return answer.Records;
        }

        /// <summary>A name that cannot exist in DNS (empty or over-long label) is not asked for; it simply does not match.</summary>
        private static bool IsQueryable(string name)
        {
            if (name.Length == 0) return false;
            foreach (var c in name) if (c < ' ' || c > '~') return false; // spaces are legal label octets (%_)
            foreach (var label in name.Split('.'))
            {
                if (label.Length == 0 || label.Length > SpfLimits.MaxLabelLength) return false;
            }
            return true;
        }

        /// <summary>
        /// Names from the client's PTR records, among those <paramref name="candidate"/> accepts, whose A/AAAA
        /// records lead back to the client (RFC 7208 §5.5): at most the first 10 PTR names are looked at
        /// (§4.6.4); a DNS error on the PTR lookup or a name's lookup makes names drop out, never fail.
        /// </summary>
        private async ValueTask<IReadOnlyList<string>> ValidatedNamesAsync(Func<string, bool> candidate)
        {
            var validated = new List<string>();
            var answer = await dns.QueryPtrAsync(ip, ct).ConfigureAwait(false);
            if (answer.IsVoid) CountVoid();
            if (answer.Status != DnsStatus.Ok) return validated;
            foreach (var ptr in answer.Records.Take(SpfLimits.MaxPtrNames))
            {
                var name = ptr.TrimEnd('.');
                if (!IsQueryable(name) || !candidate(name)) continue;
                var addresses = ipv6 ? await dns.QueryAaaaAsync(name, ct).ConfigureAwait(false)
                                     : await dns.QueryAAsync(name, ct).ConfigureAwait(false);
                if (addresses.IsVoid) CountVoid();
                if (addresses.Records.Any(a => a.Equals(ip))) validated.Add(name);
            }
            return validated;
        }

        /// <summary>
        /// The client's validated names for %{p}, looked up once per evaluation: <ip> does not change, and a record of
        /// thousands of %{p} made one PTR query (and up to ten address queries) each (RFC 7208 §4.6.4 counts the PTR
        /// lookups of %{p} among the ten; an independent review saw 7,578 PTR queries for one message).
        /// </summary>
        private Task<IReadOnlyList<string>>? clientNames;

        /// <summary>
        /// %{p}: a validated name equal to, else below, the domain, else any; "unknown" when none (RFC 7208 §7.3).
        /// DNS errors only make names drop out; the one exception that comes through is the void-lookup limit, a
        /// permerror (§4.6.4) — "unknown" is for a name that cannot be had, not for a limit run over (an independent
        /// comparison with Mail::SPF found a record that passed because the third void lookup was a %{p}'s PTR).
        /// </summary>
        private async ValueTask<string> ValidatedNameAsync(string domain)
        {
            clientNames ??= ValidatedNamesAsync(_ => true).AsTask();
            var names = await clientNames.ConfigureAwait(false);
            return names.FirstOrDefault(n => n.Equals(domain, StringComparison.OrdinalIgnoreCase))
                ?? names.FirstOrDefault(n => DomainSpec.IsSameOrSubdomain(n, domain))
                ?? names.FirstOrDefault()
                ?? "unknown";
        }

        /// <summary>
        /// The explanation of a fail (RFC 7208 §6.2): the TXT record at the exp= target, macro-expanded.
        /// Any problem (DNS error, no or several records, syntax) means "no explanation", never another result.
        /// </summary>
        private async ValueTask<string?> ExplainAsync(SpfRecord record, string domain)
        {
            if (record.Explanation is null) return options.DefaultExplanation;
            try
            {
                var context = Context(domain);
                var target = await MacroExpander.ExpandDomainAsync(record.Explanation, context).ConfigureAwait(false);
                if (!IsQueryable(target)) return options.DefaultExplanation;
                var answer = await dns.QueryTxtAsync(target, ct).ConfigureAwait(false);
                if (answer.Status != DnsStatus.Ok || answer.Records.Count != 1) return options.DefaultExplanation;
                var text = answer.Records[0].Text;
                if (text.Any(c => c > '~')) return options.DefaultExplanation;
                return await MacroExpander.ExpandAsync(MacroString.Parse(text, explainString: true), context).ConfigureAwait(false);
            }
            catch (SpfException)
            {
                return options.DefaultExplanation;
            }
        }

        private static string Describe(SpfDirective d)
        {
            var q = d.Qualifier switch { SpfQualifier.Fail => "-", SpfQualifier.SoftFail => "~", SpfQualifier.Neutral => "?", _ => "" };
            var name = d.Kind.ToString().ToLowerInvariant();
            var cidr = (d.Ip4Cidr == 32 ? "" : $"/{d.Ip4Cidr}") + (d.Ip6Cidr == 128 ? "" : $"//{d.Ip6Cidr}");
            return d.Kind switch
            {
                SpfMechanismKind.Ip4 => $"{q}ip4:{d.Network}/{d.Ip4Cidr}",
                SpfMechanismKind.Ip6 => $"{q}ip6:{d.Network}/{d.Ip6Cidr}",
                SpfMechanismKind.A or SpfMechanismKind.Mx => d.Domain is null ? q + name + cidr : $"{q}{name}:{d.Domain}{cidr}",
                _ when d.Domain is not null => $"{q}{name}:{d.Domain}",
                _ => q + name,
            };
        }
    }

    /// <summary>True when the first <paramref name="prefixLength"/> bits of both addresses agree (same family only).</summary>
    public static bool InNetwork(IPAddress address, IPAddress network, int prefixLength)
    {
        if (address.AddressFamily != network.AddressFamily) return false;
        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        var full = prefixLength / 8;
        if (!a[..full].SequenceEqual(n[..full])) return false;
        var rest = prefixLength % 8;
        if (rest == 0 || full >= length) return true;
        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == (n[full] & mask);
    }
}
