namespace Milters.Host.Milter.Protocol;

/// <summary>Commands the MTA sends (the first byte of a frame's payload).</summary>
public enum MilterCommand : byte
{
    Abort = (byte)'A',             // SMFIC_ABORT
    Body = (byte)'B',              // SMFIC_BODY
    Connect = (byte)'C',           // SMFIC_CONNECT
    Macro = (byte)'D',             // SMFIC_MACRO
    EndOfMessage = (byte)'E',      // SMFIC_BODYEOB
    Helo = (byte)'H',              // SMFIC_HELO
    QuitNewConnection = (byte)'K', // SMFIC_QUIT_NC
    Header = (byte)'L',            // SMFIC_HEADER
    Mail = (byte)'M',              // SMFIC_MAIL
    EndOfHeaders = (byte)'N',      // SMFIC_EOH
    OptionNegotiation = (byte)'O', // SMFIC_OPTNEG
    Quit = (byte)'Q',              // SMFIC_QUIT
    Recipient = (byte)'R',         // SMFIC_RCPT
    Data = (byte)'T',              // SMFIC_DATA
    Unknown = (byte)'U',           // SMFIC_UNKNOWN
}

public static class MilterCommands
{
    public static bool IsDefined(byte code) => code switch
    {
        (byte)'A' or (byte)'B' or (byte)'C' or (byte)'D' or (byte)'E' or (byte)'H' or (byte)'K' or (byte)'L'
            or (byte)'M' or (byte)'N' or (byte)'O' or (byte)'Q' or (byte)'R' or (byte)'T' or (byte)'U' => true,
        _ => false,
    };

    /// <summary>The command's libmilter name, for log lines.</summary>
    public static string Name(MilterCommand command) => command switch
    {
        MilterCommand.Abort => "SMFIC_ABORT",
        MilterCommand.Body => "SMFIC_BODY",
        MilterCommand.Connect => "SMFIC_CONNECT",
        MilterCommand.Macro => "SMFIC_MACRO",
        MilterCommand.EndOfMessage => "SMFIC_BODYEOB",
        MilterCommand.Helo => "SMFIC_HELO",
        MilterCommand.QuitNewConnection => "SMFIC_QUIT_NC",
        MilterCommand.Header => "SMFIC_HEADER",
        MilterCommand.Mail => "SMFIC_MAIL",
        MilterCommand.EndOfHeaders => "SMFIC_EOH",
        MilterCommand.OptionNegotiation => "SMFIC_OPTNEG",
        MilterCommand.Quit => "SMFIC_QUIT",
        MilterCommand.Recipient => "SMFIC_RCPT",
        MilterCommand.Data => "SMFIC_DATA",
        MilterCommand.Unknown => "SMFIC_UNKNOWN",
        _ => $"0x{(byte)command:x2}",
    };
}
