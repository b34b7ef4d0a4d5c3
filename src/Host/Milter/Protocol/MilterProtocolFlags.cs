namespace Milters.Host.Milter.Protocol;

/// <summary>
/// Protocol steps (SMFIP_*), negotiated in SMFIC_OPTNEG: which commands the MTA leaves out (NO*), which it
/// sends without waiting for a reply (NR_*), and a few behaviours.
/// </summary>
[Flags]
public enum MilterProtocolFlags : uint
{
    None = 0,
    NoConnect = 0x00000001,      // SMFIP_NOCONNECT
    NoHelo = 0x00000002,         // SMFIP_NOHELO
    NoMail = 0x00000004,         // SMFIP_NOMAIL
    NoRecipient = 0x00000008,    // SMFIP_NORCPT
    NoBody = 0x00000010,         // SMFIP_NOBODY
    NoHeaders = 0x00000020,      // SMFIP_NOHDRS
    NoEndOfHeaders = 0x00000040, // SMFIP_NOEOH
    NoReplyHeader = 0x00000080,  // SMFIP_NR_HDR (SMFIP_NOHREPL)
    NoUnknown = 0x00000100,      // SMFIP_NOUNKNOWN
    NoData = 0x00000200,         // SMFIP_NODATA
    Skip = 0x00000400,           // SMFIP_SKIP: the MTA understands SMFIR_SKIP
    RecipientRejected = 0x00000800, // SMFIP_RCPT_REJ: also send rejected recipients
    NoReplyConnect = 0x00001000, // SMFIP_NR_CONN
    NoReplyHelo = 0x00002000,    // SMFIP_NR_HELO
    NoReplyMail = 0x00004000,    // SMFIP_NR_MAIL
    NoReplyRecipient = 0x00008000, // SMFIP_NR_RCPT
    NoReplyData = 0x00010000,    // SMFIP_NR_DATA
    NoReplyUnknown = 0x00020000, // SMFIP_NR_UNKN
    NoReplyEndOfHeaders = 0x00040000, // SMFIP_NR_EOH
    NoReplyBody = 0x00080000,    // SMFIP_NR_BODY
    HeaderLeadingSpace = 0x00100000, // SMFIP_HDR_LEADSPC: header values keep their leading white space
    MaxDataSize256K = 0x10000000, // SMFIP_MDS_256K
    MaxDataSize1M = 0x20000000,  // SMFIP_MDS_1M
}
