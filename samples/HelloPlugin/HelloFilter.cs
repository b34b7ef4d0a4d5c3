using Microsoft.Extensions.Logging;
using Milters.Abstractions;

namespace HelloPlugin;

/// <summary>
/// One per SMTP connection; sees every message on it. Per-message state (none here beyond what the context
/// holds) would be reset in <see cref="AbortAsync"/>, which the host also calls after each message.
/// </summary>
public sealed class HelloFilter(HelloOptions options, ILogger<HelloFilter> logger) : MessageFilter
{
    public override ValueTask<Verdict> EndOfMessageAsync(IMessageContext context)
    {
        var subject = context.Headers.FirstOrDefault(h => h.Name.Equals("Subject", StringComparison.OrdinalIgnoreCase))?.Value ?? "";
        if (options.RejectSubjectContaining is { } word && subject.Contains(word, StringComparison.OrdinalIgnoreCase))
        {
            logger.LogInformation("{QueueId}: rejected, the subject contains \"{Word}\"", context.QueueId, word);
            return new(Verdict.RejectWith("550", "5.7.1", $"HelloPlugin does not take mail about {word}"));
        }

        // Earlier plugins in Plugins:Order have recorded their results by now (DomainKeys, SenderId …).
        var seen = context.Results.Count == 0 ? "nothing yet" : string.Join(", ", context.Results.Select(r => $"{r.Method}={AuthResultCodes.ToToken(r.Result)}"));
        context.Edits.AddHeader("X-Hello", $" {options.Greeting} (earlier plugins found: {seen})");
        return Verdict.ContinueTask;
    }
}
