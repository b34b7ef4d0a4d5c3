namespace Milters.Host.Pipeline;

/// <summary>The event a plugin callback answers, for log lines and stage rules (Skip is only valid for Body).</summary>
public enum ChainEvent
{
    Connect,
    Helo,
    MailFrom,
    Recipient,
    Data,
    Header,
    EndOfHeaders,
    Body,
    EndOfMessage,
    Unknown,
}
