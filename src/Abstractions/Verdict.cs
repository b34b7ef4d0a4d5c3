namespace Milters.Abstractions;

/// <summary>What a filter tells the MTA about the message (or the recipient, at RCPT).</summary>
public enum VerdictKind
{
    /// <summary>Go on (SMFIR_CONTINUE).</summary>
    Continue,
    /// <summary>Accept the message, skip every later stage and plugin (SMFIR_ACCEPT).</summary>
    Accept,
    /// <summary>Accept and silently throw the message away (SMFIR_DISCARD).</summary>
    Discard,
    /// <summary>Temporary failure, 4xx (SMFIR_TEMPFAIL or SMFIR_REPLYCODE with <see cref="Verdict.Reply"/>).</summary>
    TempFail,
    /// <summary>Permanent failure, 5xx (SMFIR_REJECT or SMFIR_REPLYCODE with <see cref="Verdict.Reply"/>).</summary>
    Reject,
    /// <summary>No more body chunks wanted (SMFIR_SKIP), valid only as the answer to a body chunk.</summary>
    Skip,
}

/// <summary>An SMTP reply: three-digit code, optional RFC 3463 enhanced status, text.</summary>
public sealed record SmtpReply(string Code, string? EnhancedStatus, string Text)
{
    public override string ToString() =>
        EnhancedStatus is null ? $"{Code} {Text}" : $"{Code} {EnhancedStatus} {Text}";
}

/// <summary>A filter's answer to one event. <see cref="VerdictKind.Continue"/> and <see cref="VerdictKind.Skip"/> are not terminal.</summary>
public readonly record struct Verdict(VerdictKind Kind, SmtpReply? Reply = null)
{
    public static readonly Verdict Continue = new(VerdictKind.Continue);
    public static readonly Verdict Accept = new(VerdictKind.Accept);
    public static readonly Verdict Discard = new(VerdictKind.Discard);
    public static readonly Verdict Skip = new(VerdictKind.Skip);
    public static readonly Verdict TempFail = new(VerdictKind.TempFail);
    public static readonly Verdict Reject = new(VerdictKind.Reject);

    public static ValueTask<Verdict> ContinueTask => new(Continue);

    public static Verdict RejectWith(string code, string? enhancedStatus, string text) =>
        new(VerdictKind.Reject, new SmtpReply(code, enhancedStatus, text));

    public static Verdict TempFailWith(string code, string? enhancedStatus, string text) =>
        new(VerdictKind.TempFail, new SmtpReply(code, enhancedStatus, text));

    /// <summary>True when the chain stops at this verdict.</summary>
    public bool IsTerminal => Kind is not (VerdictKind.Continue or VerdictKind.Skip);
}
