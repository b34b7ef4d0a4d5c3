using Milters.LoadGen.Messages;

namespace Milters.LoadGen.Client;

internal enum OutcomeKind
{
    Ok,
    /// <summary>The filter accepted the message but did not add the expected header.</summary>
    MissingHeader,
    /// <summary>A step other than end of message already ended the message with SMFIR_ACCEPT.</summary>
    AcceptedEarly,
    Rejected,
    TempFailed,
    Discarded,
    ProtocolError,
    IoError,
    Timeout,
}

/// <summary>What happened to one message, with its end-of-message and whole-message latency.</summary>
internal sealed record MessageOutcome(
    OutcomeKind Kind,
    long EomTicks,
    long TotalTicks,
    string? Detail,
    IReadOnlyList<HeaderLine> AddedHeaders)
{
    public bool IsOk => Kind == OutcomeKind.Ok;
}
