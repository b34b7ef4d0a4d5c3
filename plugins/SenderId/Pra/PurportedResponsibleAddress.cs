using Milters.Abstractions;
using MimeKit;

namespace Milters.SenderId.Pra;

/// <summary>
/// The PRA of a message (RFC 4407 §2): the one mailbox taken from the chosen header field, and that
/// field's name in lower case ("resent-sender", "resent-from", "sender", "from") for the
/// Authentication-Results property header.&lt;name&gt;=.
/// </summary>
public sealed record PurportedResponsibleAddress(string HeaderName, string Address)
{
    public string LocalPart => Address[..Address.LastIndexOf('@')];

    public string Domain => Address[(Address.LastIndexOf('@') + 1)..];
}

/// <summary>Why no PRA could be determined (RFC 4407 §2 step 6).</summary>
public sealed record PraFailure(string Reason);

/// <summary>RFC 4407 §2 over the message's header fields, in arrival order (top first).</summary>
public static class PraExtractor
{
    private const string ResentSender = "Resent-Sender";
    private const string ResentFrom = "Resent-From";
    private const string Sender = "Sender";
    private const string From = "From";

    public static PurportedResponsibleAddress? Find(IReadOnlyList<HeaderField> headers, out PraFailure? failure)
    {
        var chosen = Choose(headers, out failure);
        if (chosen is null) return null;
        // Step 5: the chosen field must hold exactly one mailbox with a domain.
        if (!TryParseSingleMailbox(chosen.Value, out var address, out var why))
        {
            failure = new PraFailure($"malformed {chosen.Name} header: {why}");
            return null;
        }
        failure = null;
        // "From :" (white space before the colon, RFC 5322 §4.5) is the From field: the property is header.from.
        return new PurportedResponsibleAddress(chosen.Name.TrimEnd(' ', '\t').ToLowerInvariant(), address);
    }

    private static HeaderField? Choose(IReadOnlyList<HeaderField> headers, out PraFailure? failure)
    {
        failure = null;
        // Step 1: the first non-empty Resent-Sender, unless it belongs to an older resent block: a non-empty
        // Resent-From precedes it with Received or Return-Path fields in between.
        HeaderField? firstResentFrom = null;
        var traceAfterResentFrom = false;
        foreach (var h in headers)
        {
            if (!IsNonEmpty(h)) continue;
            if (h.Is(ResentFrom)) { firstResentFrom ??= h; continue; }
            if ((h.Is("Received") || h.Is("Return-Path")) && firstResentFrom is not null) { traceAfterResentFrom = true; continue; }
            if (h.Is(ResentSender))
            {
                if (traceAfterResentFrom) break; // continue with step 2
                return h;                                                    // step 5
            }
        }
        // Step 2: the first non-empty Resent-From.
        var resentFrom = headers.FirstOrDefault(h => h.Is(ResentFrom) && IsNonEmpty(h));
        if (resentFrom is not null) return resentFrom;
        // Step 3: exactly one non-empty Sender; more than one is ill-formed (step 6).
        var senders = headers.Where(h => h.Is(Sender) && IsNonEmpty(h)).ToList();
        if (senders.Count == 1) return senders[0];
        if (senders.Count > 1) { failure = new PraFailure("multiple Sender headers"); return null; }
        // Step 4: exactly one non-empty From.
        var froms = headers.Where(h => h.Is(From) && IsNonEmpty(h)).ToList();
        if (froms.Count == 1) return froms[0];
        failure = new PraFailure(froms.Count == 0 ? "no From header" : "multiple From headers");
        return null;
    }

    /// <summary>"non-empty" = contains any non-whitespace character (RFC 4407 §2).</summary>
    private static bool IsNonEmpty(HeaderField h) => !string.IsNullOrWhiteSpace(h.Value);

    /// <summary>One RFC 5322 mailbox with a local-part and a domain; a list, a group or a bare name is malformed.</summary>
    public static bool TryParseSingleMailbox(string value, out string address, out string why)
    {
        address = "";
        var unfolded = value.Replace("\r\n", "").Replace("\n", "").Trim();
        if (!InternetAddressList.TryParse(ParserOptions.Default, unfolded, out var list)) { why = "not an address"; return false; }
        if (list.Count != 1 || list[0] is not MailboxAddress mailbox) { why = "not exactly one mailbox"; return false; }
        // MimeKit's own split, not the last "@" of the formatted address: `"alice@example.com"` alone is a quoted
        // local-part with no domain (step 5: "the single mailbox does not contain a domain name").
        var domain = mailbox.Domain;
        if (string.IsNullOrEmpty(mailbox.LocalPart) || string.IsNullOrEmpty(domain)) { why = "mailbox without a domain"; return false; }
        // A domain literal names no domain; anything else is left to check_host() (RFC 7208 §4.3 gives "none").
        if (domain.StartsWith('[') || domain.StartsWith('.') || domain.Contains("..")) { why = $"invalid domain \"{domain}\""; return false; }
        try
        {
            // The domain as written: MimeKit shows A-labels as U-labels, which neither an Authentication-Results
            // property outside EAI mail (RFC 8601 §2.7.2) nor an SMTP reply may carry. Decided on the domain alone —
            // a UTF-8 display name is common in mail that is not EAI (a code review's find).
            var ascii = mailbox.GetAddress(idnEncode: true);
            var asciiDomain = ascii[(ascii.LastIndexOf('@') + 1)..];
            address = unfolded.Contains(asciiDomain, StringComparison.OrdinalIgnoreCase) ? ascii : mailbox.Address;
        }
        catch (ArgumentException)
        {
            why = $"invalid domain \"{domain}\"";
            return false;
        }
        why = "";
        return true;
    }
}
