namespace Milters.Abstractions;

/// <summary>Stage a macro set belongs to (the command letter that follows it in SMFIC_MACRO).</summary>
public enum MacroStage
{
    Connect,     // SMFIC_CONNECT 'C'
    Helo,        // SMFIC_HELO 'H'
    MailFrom,    // SMFIC_MAIL 'M'
    Recipient,   // SMFIC_RCPT 'R'
    Data,        // SMFIC_DATA 'T'
    EndOfHeaders,// SMFIC_EOH 'N'
    EndOfMessage,// SMFIC_BODYEOB 'E'
    Header,      // SMFIC_HEADER 'L'
    Body,        // SMFIC_BODY 'B'
    Unknown,     // SMFIC_UNKNOWN 'U'
}

/// <summary>
/// Macros sent by the MTA. Names are accepted with or without braces: "daemon_name" finds "{daemon_name}",
/// single-letter macros ("i", "j") as they are.
/// </summary>
public interface IMacros
{
    /// <summary>The value from the latest stage that defined it, or null.</summary>
    string? Get(string name);

    /// <summary>The value as defined for one stage, or null.</summary>
    string? Get(MacroStage stage, string name);
}
