using Milters.Abstractions;
using Milters.SenderId.Spf;

namespace Milters.SenderId;

/// <summary>The Received-SPF header field of RFC 7208 §9.1 for one check.</summary>
public static class ReceivedSpfHeader
{
    public const string Name = "Received-SPF";

    /// <summary>With its escapes doubled at most, the comment line stays under 998 characters.</summary>
    private const int MaxCommentLength = 480;

    /// <summary>
    /// Received-SPF: result (comment) client-ip=; envelope-from=; helo=; receiver=; identity=;
    /// (key-value-list of RFC 7208 §9.1, values quoted where they are not dot-atoms).
    /// </summary>
    public static string Format(SpfOutcome outcome, SpfRequest request, string mailFrom, string receiver)
    {
        var ip = request.Ip.IsIPv4MappedToIPv6 ? request.Ip.MapToIPv4() : request.Ip;
        var identity = request.IsHeloIdentity ? "helo" : "mailfrom";
        var comment = Comment(outcome, request, receiver, ip.ToString());
        var parts = new List<string> { $"client-ip={Quote(ip.ToString())}" };
        // A value longer than any address or name can be is left out: written whole it could make a line
        // longer than RFC 5322's 998 characters.
        foreach (var (key, value) in new[] { ("envelope-from", mailFrom), ("helo", request.Helo), ("receiver", receiver) })
            if (value.Length <= HeaderText.MaxAddressLength) parts.Add($"{key}={Quote(value)}");
        parts.Add($"identity={identity}");
        if (outcome.Mechanism is { Length: <= HeaderText.MaxAddressLength }) parts.Add($"mechanism={Quote(outcome.Mechanism)}");
        return $" {outcome.Result.ToToken()} ({comment})\r\n\t{string.Join(";\r\n\t", parts)};";
    }

    private static string Comment(SpfOutcome outcome, SpfRequest request, string receiver, string ip)
    {
        var domain = request.Domain;
        var text = outcome.Result switch
        {
            SpfResult.Pass => $"domain of {request.Sender} designates {ip} as permitted sender",
            SpfResult.Fail => $"domain of {request.Sender} does not designate {ip} as permitted sender",
            SpfResult.SoftFail => $"domain of transitioning {request.Sender} does not designate {ip} as permitted sender",
            SpfResult.Neutral => $"{ip} is neither permitted nor denied by domain of {request.Sender}",
            SpfResult.None => $"{domain} does not designate permitted sender hosts",
            SpfResult.TempError => $"error in processing during lookup of {request.Sender}: {outcome.Reason}",
            _ => $"error in processing during lookup of {request.Sender}: {outcome.Reason}",
        };
        if (outcome.BestGuess) text = "best guess record: " + text;
        // Parentheses and backslashes would end or escape the comment (RFC 5322 §3.2.2).
        // The HELO name, the envelope sender and the reason (which may quote a DNS record) come from outside.
        var comment = HeaderText.Sanitize($"{receiver}: {text}");
        comment = HeaderText.Shorten(comment, MaxCommentLength);
        return comment.Replace("\\", "\\\\").Replace("(", "\\(").Replace(")", "\\)");
    }

    private static string Quote(string value)
    {
        value = HeaderText.Sanitize(value);
        if (value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~.".Contains(c)) && !value.StartsWith('.') && !value.EndsWith('.'))
            return value;
        return "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
