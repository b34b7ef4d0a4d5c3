namespace Milters.LoadGen.Protocol;

/// <summary>Commands an MTA sends to a filter (libmilter mfdef.h). Duplicated on purpose: the load
/// generator is an independent client and shares no code with the host it measures.</summary>
internal static class MilterCommand
{
    public const byte Abort = (byte)'A';   // SMFIC_ABORT
    public const byte Body = (byte)'B';    // SMFIC_BODY
    public const byte Connect = (byte)'C'; // SMFIC_CONNECT
    public const byte Macro = (byte)'D';   // SMFIC_MACRO
    public const byte BodyEob = (byte)'E'; // SMFIC_BODYEOB
    public const byte Helo = (byte)'H';    // SMFIC_HELO
    public const byte Header = (byte)'L';  // SMFIC_HEADER
    public const byte Mail = (byte)'M';    // SMFIC_MAIL
    public const byte Eoh = (byte)'N';     // SMFIC_EOH
    public const byte OptNeg = (byte)'O';  // SMFIC_OPTNEG
    public const byte Quit = (byte)'Q';    // SMFIC_QUIT
    public const byte Rcpt = (byte)'R';    // SMFIC_RCPT
    public const byte Data = (byte)'T';    // SMFIC_DATA

    public const byte FamilyInet = (byte)'4';  // SMFIA_INET
    public const byte FamilyInet6 = (byte)'6'; // SMFIA_INET6
    public const byte FamilyUnix = (byte)'L';  // SMFIA_UNIX
}
