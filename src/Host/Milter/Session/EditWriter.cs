using System.Buffers;
using Milters.Abstractions;
using Milters.Host.Milter.Negotiation;
using Milters.Host.Milter.Protocol;

namespace Milters.Host.Milter.Session;

/// <summary>Writes the queued modifications of a message as end-of-message frames.</summary>
public static class EditWriter
{
    /// <summary>
    /// Header changes go first, highest occurrence first, then everything else in queued order. Occurrence
    /// numbers mean the original message's headers: Postfix stops counting a deleted header, Sendmail
    /// counts headers inserted before it; going first and downwards makes both MTAs hit the same header.
    /// Edits whose action the MTA did not grant are not sent (that would be a protocol violation); they are
    /// counted in <paramref name="dropped"/>.
    /// </summary>
    public static void Write(IBufferWriter<byte> w, IReadOnlyList<MessageEdit> edits, NegotiatedProtocol protocol,
        Dictionary<MessageEditKind, int> dropped, ref int argumentsDropped)
    {
        if (edits.Count == 0) return;
        bool leadingSpace = protocol.HeaderLeadingSpace;
        int longest = 0;
        foreach (var e in edits)
            if (e.Value is not null) longest = Math.Max(longest, e.Value.Length);
        var scratch = ArrayPool<char>.Shared.Rent(longest);
        try
        {
            WriteAll(w, edits, protocol, dropped, ref argumentsDropped, leadingSpace, scratch);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(scratch);
        }
    }

    private static void WriteAll(IBufferWriter<byte> w, IReadOnlyList<MessageEdit> edits, NegotiatedProtocol protocol,
        Dictionary<MessageEditKind, int> dropped, ref int argumentsDropped, bool leadingSpace, char[] scratch)
    {
        var changes = new List<MessageEdit>();
        foreach (var e in edits)
            if (e.Kind == MessageEditKind.ChangeHeader) changes.Add(e);
        if (changes.Count > 0)
        {
            if (Granted(MessageEditKind.ChangeHeader, protocol, dropped, changes.Count))
            {
                // OrderBy is stable: equal occurrences keep their queued order.
                foreach (var e in changes.OrderByDescending(e => e.Index))
                    MilterResponseWriter.WriteChangeHeader(w, e.Index, e.Name!,
                        e.Value is null ? [] : HeaderValues.ToMta(e.Value, leadingSpace, scratch));
            }
        }

        foreach (var e in edits)
        {
            if (e.Kind == MessageEditKind.ChangeHeader || !Granted(e.Kind, protocol, dropped, 1)) continue;
            switch (e.Kind)
            {
                case MessageEditKind.AddHeader:
                    MilterResponseWriter.WriteAddHeader(w, e.Name!, HeaderValues.ToMta(e.Value!, leadingSpace, scratch));
                    break;
                case MessageEditKind.InsertHeader:
                    MilterResponseWriter.WriteInsertHeader(w, e.Index, e.Name!, HeaderValues.ToMta(e.Value!, leadingSpace, scratch));
                    break;
                case MessageEditKind.AddRecipient:
                    if (string.IsNullOrEmpty(e.Arguments))
                        MilterResponseWriter.WriteAddRecipient(w, e.Name!);
                    else if (protocol.Has(MilterActions.AddRecipientsWithArgs))
                        MilterResponseWriter.WriteAddRecipientWithArgs(w, e.Name!, e.Arguments);
                    else
                    {
                        argumentsDropped++;
                        MilterResponseWriter.WriteAddRecipient(w, e.Name!);
                    }
                    break;
                case MessageEditKind.DeleteRecipient:
                    MilterResponseWriter.WriteDeleteRecipient(w, e.Name!);
                    break;
                case MessageEditKind.ChangeFrom:
                    MilterResponseWriter.WriteChangeFrom(w, e.Name!, string.IsNullOrEmpty(e.Arguments) ? null : e.Arguments);
                    break;
                case MessageEditKind.ReplaceBody:
                    MilterResponseWriter.WriteReplaceBody(w, e.Body.Span);
                    break;
                case MessageEditKind.Quarantine:
                    MilterResponseWriter.WriteQuarantine(w, e.Value!);
                    break;
            }
        }
    }

    private static bool Granted(MessageEditKind kind, NegotiatedProtocol protocol, Dictionary<MessageEditKind, int> dropped, int count)
    {
        if (protocol.Has(NegotiatedProtocol.ActionFor(kind))) return true;
        dropped[kind] = dropped.GetValueOrDefault(kind) + count;
        return false;
    }
}
