using System.Net;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults;

/// <summary>
/// At end of message: removes the Authentication-Results headers that claim to be ours from mail that did
/// not come from an internal host (RFC 8601 §5), then adds one header with every result the earlier
/// plugins recorded. Everything happens at end of message, where edits are allowed; the headers are
/// read from the context, which the host fills as they arrive.
/// </summary>
internal sealed class AuthResultsFilter(AuthResultsOptions options, ResultsBuilder results, string hostName, ILogger logger) : MessageFilter
{
    private readonly AuthResultsFormatter formatter = new() { ReasonStyle = options.ReasonStyle };

    public override ValueTask<Verdict> EndOfMessageAsync(IMessageContext context)
    {
        var authservId = AuthservIdFor(context);

        var client = ClientAddress(context);
        if (!options.InternalHosts.Contains(client))
        {
            var matcher = new AuthservIdMatcher(options.OtherAuthservIds.Prepend(authservId));
            foreach (var forged in ForgedHeaders.Find(context.Headers, matcher, options.Remove, options.SiblingMethods))
            {
                logger.LogInformation("{QueueId}: removing {Name} #{Occurrence} (authserv-id {AuthservId}) from {Client}",
                    context.QueueId, forged.Name, forged.Occurrence, forged.AuthservId ?? "unreadable", client?.ToString() ?? context.Connection.HostName);
                context.Edits.ChangeHeader(forged.Name, forged.Occurrence, null);
            }
        }

        var header = new AuthResultsHeader(authservId, null, results.Build(context));
        var value = formatter.FormatValue(header);
        if (options.Placement == Placement.Top)
            context.Edits.InsertHeader(0, AuthResultsParser.FieldName, value);
        else
            context.Edits.AddHeader(AuthResultsParser.FieldName, value);
        logger.LogDebug("{QueueId}: {Name}:{Value}", context.QueueId, AuthResultsParser.FieldName, value);

        return Verdict.ContinueTask;
    }

    /// <summary>
    /// Configured, else the MTA's <c>j</c> macro (its canonical host name), else our host name; an
    /// internationalized name in A-labels, which every message may carry (RFC 8601 §2.5 allows UTF-8 in
    /// EAI messages only).
    /// </summary>
    internal string AuthservIdFor(IMessageContext context)
    {
        if (options.AuthservId is not null) return AuthservIdMatcher.ToAscii(options.AuthservId);
        var j = context.Macros.Get("j")?.Trim();
        return AuthservIdMatcher.ToAscii(j is not null && AuthResultsOptions.IsUsableAuthservId(j) ? j : hostName);
    }

    /// <summary>The SMTP client's address from CONNECT, else the <c>{client_addr}</c> macro.</summary>
    private static IPAddress? ClientAddress(IMessageContext context) =>
        context.Connection.Address
        ?? (IPAddress.TryParse(context.Macros.Get("client_addr"), out var a) ? a : null);
}
