namespace Milters.Host.Milter.Protocol;

/// <summary>Modifications a filter may make (SMFIF_*), negotiated in SMFIC_OPTNEG.</summary>
[Flags]
public enum MilterActions : uint
{
    None = 0,
    AddHeaders = 0x001,          // SMFIF_ADDHDRS (also SMFIR_INSHEADER)
    ChangeBody = 0x002,          // SMFIF_CHGBODY
    AddRecipients = 0x004,       // SMFIF_ADDRCPT
    DeleteRecipients = 0x008,    // SMFIF_DELRCPT
    ChangeHeaders = 0x010,       // SMFIF_CHGHDRS
    Quarantine = 0x020,          // SMFIF_QUARANTINE
    ChangeFrom = 0x040,          // SMFIF_CHGFROM
    AddRecipientsWithArgs = 0x080, // SMFIF_ADDRCPT_PAR
    SetSymbolList = 0x100,       // SMFIF_SETSYMLIST
}
