namespace Milters.Host.Milter.Protocol;

/// <summary>Replies and modifications the filter sends (the first byte of a frame's payload).</summary>
public enum MilterResponse : byte
{
    AddRecipient = (byte)'+',           // SMFIR_ADDRCPT
    DeleteRecipient = (byte)'-',        // SMFIR_DELRCPT
    AddRecipientWithArgs = (byte)'2',   // SMFIR_ADDRCPT_PAR
    Shutdown = (byte)'4',               // SMFIR_SHUTDOWN
    Accept = (byte)'a',                 // SMFIR_ACCEPT
    ReplaceBody = (byte)'b',            // SMFIR_REPLBODY
    Continue = (byte)'c',               // SMFIR_CONTINUE
    Discard = (byte)'d',                // SMFIR_DISCARD
    ChangeFrom = (byte)'e',             // SMFIR_CHGFROM
    ConnectionFailure = (byte)'f',      // SMFIR_CONN_FAIL
    AddHeader = (byte)'h',              // SMFIR_ADDHEADER
    InsertHeader = (byte)'i',           // SMFIR_INSHEADER
    SetSymbolList = (byte)'l',          // SMFIR_SETSYMLIST
    ChangeHeader = (byte)'m',           // SMFIR_CHGHEADER
    Progress = (byte)'p',               // SMFIR_PROGRESS
    Quarantine = (byte)'q',             // SMFIR_QUARANTINE
    Reject = (byte)'r',                 // SMFIR_REJECT
    Skip = (byte)'s',                   // SMFIR_SKIP
    TempFail = (byte)'t',               // SMFIR_TEMPFAIL
    ReplyCode = (byte)'y',              // SMFIR_REPLYCODE
    OptionNegotiation = (byte)'O',      // SMFIC_OPTNEG (the reply reuses the command letter)
}
