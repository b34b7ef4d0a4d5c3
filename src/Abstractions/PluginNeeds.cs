namespace Milters.Abstractions;

/// <summary>
/// Protocol stages a plugin wants to see and modifications it may make. The host offers the MTA only
/// the union of these (SMFIP_NO* for stages nobody needs, SMFIF_* for actions somebody needs).
/// </summary>
[Flags]
public enum PluginNeeds
{
    None = 0,

    // stages
    Connect = 1 << 0,
    Helo = 1 << 1,
    MailFrom = 1 << 2,
    Recipients = 1 << 3,
    Data = 1 << 4,
    Headers = 1 << 5,
    EndOfHeaders = 1 << 6,
    Body = 1 << 7,
    Unknown = 1 << 8,

    // actions (SMFIF_*)
    AddHeaders = 1 << 16,        // SMFIF_ADDHDRS (also covers insert at index)
    ChangeHeaders = 1 << 17,     // SMFIF_CHGHDRS (change or delete the n-th occurrence)
    ChangeBody = 1 << 18,        // SMFIF_CHGBODY
    AddRecipients = 1 << 19,     // SMFIF_ADDRCPT / SMFIF_ADDRCPT_PAR
    DeleteRecipients = 1 << 20,  // SMFIF_DELRCPT
    Quarantine = 1 << 21,        // SMFIF_QUARANTINE
    ChangeFrom = 1 << 22,        // SMFIF_CHGFROM

    /// <summary>
    /// Before end of message the plugin only observes: it answers Continue to every stage it needs (never
    /// Reject, Accept, TempFail, Discard or Skip). The host may then ask the MTA not to wait for a reply at
    /// those stages (SMFIP_NR_*), saving one round trip per command. A terminal verdict returned anyway is
    /// not lost: the host answers it at the next command that gets a reply (end of message at the latest).
    /// </summary>
    ObserveOnly = 1 << 30,

    /// <summary>
    /// <see cref="ObserveOnly"/> for the header stage alone: the plugin answers Continue to every header field
    /// (SMFIC_HEADER), though it may answer at other stages. The host may then ask the MTA not to wait for a
    /// reply after each header (SMFIP_NR_HDR) — one round trip per header field saved.
    /// </summary>
    ObserveOnlyHeaders = 1 << 29,

    /// <summary>Every stage up to and including body (end of message is always sent).</summary>
    AllStages = Connect | Helo | MailFrom | Recipients | Data | Headers | EndOfHeaders | Body,
}
