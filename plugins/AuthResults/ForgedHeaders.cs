using Milters.Abstractions;
using Milters.AuthResults.Syntax;

namespace Milters.AuthResults;

/// <summary>One existing Authentication-Results header chosen for removal.</summary>
/// <param name="Occurrence">1-based, among the headers of that name in the message as it arrived (SMFIR_CHGHEADER index).</param>
internal readonly record struct ForgedHeader(string Name, int Occurrence, string? AuthservId);

/// <summary>Finds the Authentication-Results headers to remove (RFC 8601 §5).</summary>
internal static class ForgedHeaders
{
    /// <summary>
    /// The headers to remove, highest occurrence first. The host contract counts occurrences in the original
    /// message, so order would not matter there; deleting from the bottom up also stays right for a peer that
    /// renumbers after each deletion (OpenDKIM lost headers to that).
    /// </summary>
    public static IReadOnlyList<ForgedHeader> Find(IReadOnlyList<HeaderField> headers, AuthservIdMatcher ours, Removal removal,
        IReadOnlyList<string>? siblingMethods = null)
    {
        var found = new List<ForgedHeader>();
        var occurrence = 0;
        var belowOurReceived = false;
        foreach (var h in headers)
        {
            // The MTA's own Received: field is the first it shows a filter; anything the client sent comes below it.
            if (h.Is("Received")) belowOurReceived = true;
            if (!h.Is(AuthResultsParser.FieldName)) continue;
            occurrence++;
            var id = AuthservIdReader.Read(h.Value, out var version);
            // The name as spelled, without white space before the colon: "Authentication-Results :" (RFC 5322
            // obs-optional) is this field too, and SMFIR_CHGHEADER takes a name without white space.
            // A version other than 1 goes whoever wrote it: RFC 8601 §5 says MUST for mail from outside.
            var foreignVersion = version is not null && version.TrimStart('0') != "1";
            if (!foreignVersion && !belowOurReceived && removal == Removal.Ours && ours.IsOurs(id) && IsSiblings(h.Value, siblingMethods)) continue;
            if (removal == Removal.All || ours.IsOurs(id) || foreignVersion)
                found.Add(new ForgedHeader(h.Name.TrimEnd(' ', '\t'), occurrence, id));
        }
        found.Reverse();
        return found;
    }

    /// <summary>
    /// A field a sibling filter of this hop added: above the MTA's own Received: field (so not from the client — a
    /// forgery from outside arrives below it, whichever methods it claims), readable, and reporting only the sibling's
    /// methods or "none" (a sibling that checked nothing still writes its field).
    /// </summary>
    private static bool IsSiblings(string value, IReadOnlyList<string>? siblingMethods)
    {
        if (siblingMethods is null || siblingMethods.Count == 0) return false;
        if (!AuthResultsParser.TryParse(value, out var header, out _) || header is null) return false;
        return header.Results.All(r => siblingMethods.Contains(r.Method, StringComparer.OrdinalIgnoreCase));
    }
}
