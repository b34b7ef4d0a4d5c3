namespace Milters.Abstractions;

/// <summary>
/// Modifications queued during a message and sent by the host at end of message, in the order queued,
/// in one write together with the verdict. Header values are given as they should appear after the colon
/// (the host adds no leading space of its own; folded lines use "\r\n\t" or "\r\n ", the host converts to
/// what the MTA expects).
/// </summary>
public interface IMessageEdits
{
    /// <summary>Append a header at the end of the header block (SMFIR_ADDHEADER).</summary>
    void AddHeader(string name, string value);

    /// <summary>Insert a header before position <paramref name="index"/> (0 = top) (SMFIR_INSHEADER).</summary>
    void InsertHeader(int index, string name, string value);

    /// <summary>
    /// Change the <paramref name="occurrence"/>-th (1-based, counted among headers of that name as they
    /// arrived) header called <paramref name="name"/>; a null value deletes it (SMFIR_CHGHEADER).
    /// Occurrences always refer to the original message, so deleting several needs no renumbering.
    /// </summary>
    void ChangeHeader(string name, int occurrence, string? value);

    /// <summary>Add a recipient (SMFIR_ADDRCPT, or SMFIR_ADDRCPT_PAR with ESMTP args).</summary>
    void AddRecipient(string recipient, string? esmtpArguments = null);

    /// <summary>Remove a recipient (SMFIR_DELRCPT).</summary>
    void DeleteRecipient(string recipient);

    /// <summary>Change the envelope sender (SMFIR_CHGFROM).</summary>
    void ChangeFrom(string sender, string? esmtpArguments = null);

    /// <summary>Replace the body (SMFIR_REPLBODY; the host splits it into chunks).</summary>
    void ReplaceBody(ReadOnlyMemory<byte> body);

    /// <summary>Put the message into the MTA's quarantine with a reason (SMFIR_QUARANTINE).</summary>
    void Quarantine(string reason);

    /// <summary>Everything queued so far, in order.</summary>
    IReadOnlyList<MessageEdit> Queued { get; }
}

public enum MessageEditKind
{
    AddHeader,        // SMFIR_ADDHEADER 'h'
    InsertHeader,     // SMFIR_INSHEADER 'i'
    ChangeHeader,     // SMFIR_CHGHEADER 'm'
    AddRecipient,     // SMFIR_ADDRCPT '+' / SMFIR_ADDRCPT_PAR '2'
    DeleteRecipient,  // SMFIR_DELRCPT '-'
    ChangeFrom,       // SMFIR_CHGFROM 'e'
    ReplaceBody,      // SMFIR_REPLBODY 'b'
    Quarantine,       // SMFIR_QUARANTINE 'q'
}

/// <summary>One queued modification. Fields not used by a kind are null/0.</summary>
public sealed record MessageEdit(
    MessageEditKind Kind,
    string? Name = null,
    string? Value = null,
    int Index = 0,
    string? Arguments = null,
    ReadOnlyMemory<byte> Body = default);
