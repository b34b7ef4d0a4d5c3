namespace Milters.LoadGen.Protocol;

/// <summary>Replies a filter sends to the MTA (libmilter mfdef.h).</summary>
internal static class MilterReply
{
    public const byte AddRcpt = (byte)'+';    // SMFIR_ADDRCPT
    public const byte DelRcpt = (byte)'-';    // SMFIR_DELRCPT
    public const byte AddRcptPar = (byte)'2'; // SMFIR_ADDRCPT_PAR
    public const byte Shutdown = (byte)'4';   // SMFIR_SHUTDOWN
    public const byte Accept = (byte)'a';     // SMFIR_ACCEPT
    public const byte ReplBody = (byte)'b';   // SMFIR_REPLBODY
    public const byte Continue = (byte)'c';   // SMFIR_CONTINUE
    public const byte Discard = (byte)'d';    // SMFIR_DISCARD
    public const byte ChgFrom = (byte)'e';    // SMFIR_CHGFROM
    public const byte ConnFail = (byte)'f';   // SMFIR_CONN_FAIL
    public const byte AddHeader = (byte)'h';  // SMFIR_ADDHEADER
    public const byte InsHeader = (byte)'i';  // SMFIR_INSHEADER
    public const byte SetSymList = (byte)'l'; // SMFIR_SETSYMLIST
    public const byte ChgHeader = (byte)'m';  // SMFIR_CHGHEADER
    public const byte Progress = (byte)'p';   // SMFIR_PROGRESS
    public const byte Quarantine = (byte)'q'; // SMFIR_QUARANTINE
    public const byte Reject = (byte)'r';     // SMFIR_REJECT
    public const byte Skip = (byte)'s';       // SMFIR_SKIP
    public const byte TempFail = (byte)'t';   // SMFIR_TEMPFAIL
    public const byte ReplyCode = (byte)'y';  // SMFIR_REPLYCODE
    public const byte OptNeg = (byte)'O';     // SMFIC_OPTNEG echoed by the filter

    /// <summary>A reply that ends the current command (as opposed to modifications and progress).</summary>
    public static bool IsFinal(byte reply) => reply is Accept or Continue or Discard or Reject
        or TempFail or ReplyCode or Skip or ConnFail or Shutdown;
}
