namespace Milters.Host.Milter.Session;

/// <summary>Where the conversation is. Message stages are ordered as the MTA sends them.</summary>
public enum SessionStage
{
    /// <summary>Nothing yet: SMFIC_OPTNEG must come first.</summary>
    AwaitingOptions,
    /// <summary>Negotiated (or after SMFIC_QUIT_NC): SMFIC_CONNECT comes next unless negotiated off.</summary>
    AwaitingConnect,
    /// <summary>Connected, between messages.</summary>
    Connected,
    Mail,
    Recipient,
    Data,
    Header,
    EndOfHeaders,
    Body,
    /// <summary>Transient: answering SMFIC_BODYEOB; the message ends with the answer.</summary>
    EndOfMessage,
}
