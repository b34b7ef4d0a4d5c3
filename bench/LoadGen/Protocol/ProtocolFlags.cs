namespace Milters.LoadGen.Protocol;

/// <summary>SMFIP_* bits: steps the filter does not want (NO*) and replies it will not send (NR_*).</summary>
[Flags]
internal enum ProtocolFlags : uint
{
    None = 0,
    NoConnect = 1u << 0,   // SMFIP_NOCONNECT
    NoHelo = 1u << 1,      // SMFIP_NOHELO
    NoMail = 1u << 2,      // SMFIP_NOMAIL
    NoRcpt = 1u << 3,      // SMFIP_NORCPT
    NoBody = 1u << 4,      // SMFIP_NOBODY
    NoHdrs = 1u << 5,      // SMFIP_NOHDRS
    NoEoh = 1u << 6,       // SMFIP_NOEOH
    NrHdr = 1u << 7,       // SMFIP_NR_HDR (SMFIP_NOHREPL)
    NoUnknown = 1u << 8,   // SMFIP_NOUNKNOWN
    NoData = 1u << 9,      // SMFIP_NODATA
    Skip = 1u << 10,       // SMFIP_SKIP: the MTA understands SMFIR_SKIP
    RcptRej = 1u << 11,    // SMFIP_RCPT_REJ
    NrConn = 1u << 12,     // SMFIP_NR_CONN
    NrHelo = 1u << 13,     // SMFIP_NR_HELO
    NrMail = 1u << 14,     // SMFIP_NR_MAIL
    NrRcpt = 1u << 15,     // SMFIP_NR_RCPT
    NrData = 1u << 16,     // SMFIP_NR_DATA
    NrUnkn = 1u << 17,     // SMFIP_NR_UNKN
    NrEoh = 1u << 18,      // SMFIP_NR_EOH
    NrBody = 1u << 19,     // SMFIP_NR_BODY
    HdrLeadSpc = 1u << 20, // SMFIP_HDR_LEADSPC

    /// <summary>What Postfix 3.x offers with milter_protocol = 6.</summary>
    PostfixV6Offer = 0x1FFFFF,
}

/// <summary>SMFIF_* actions the MTA allows.</summary>
internal static class ActionFlags
{
    /// <summary>SMFIF_ADDHDRS … SMFIF_SETSYMLIST: everything a v6 MTA allows (Postfix offers 0x1ff).</summary>
    public const uint AllV6 = 0x1FF;
}

/// <summary>SMFIM_* macro stages in an OPTNEG reply's symbol lists.</summary>
internal enum MacroStage
{
    Connect = 0, // SMFIM_CONNECT
    Helo = 1,    // SMFIM_HELO
    EnvFrom = 2, // SMFIM_ENVFROM
    EnvRcpt = 3, // SMFIM_ENVRCPT
    Data = 4,    // SMFIM_DATA
    Eom = 5,     // SMFIM_EOM
    Eoh = 6,     // SMFIM_EOH
}
