using Milters.Abstractions;

namespace Milters.DomainKeys.Canonicalization;

/// <summary>
/// Which header fields a DomainKey-Signature covers, in the order they are hashed (RFC 4870 §3.3 h=,
/// §3.4): only fields below the signature; without h= all of them in message order; with h= those named.
/// Selection with h= follows Mail::DKIM (the reference verifier): names are walked from the end of the list;
/// a repeated name takes that field's last not-yet-taken occurrence, its first mention takes all that are
/// left. When h= lists the fields in message order (as every signer writes it, duplicates included) this is
/// exactly message order.
/// </summary>
internal static class SignedHeaders
{
    /// <summary>
    /// The white space a field name may carry before its colon (RFC 5322 obs-optional): SP and HTAB only. A plain
    /// Trim() also took NBSP and NEL, which an 8-bit name may hold, and made "From\u00a0" a From field here alone.
    /// </summary>
    public static readonly char[] FieldNameSpace = [' ', '\t'];

    public static IReadOnlyList<HeaderField> Select(IReadOnlyList<HeaderField> below, IReadOnlyList<string>? names)
    {
        if (names is null) return below;

        var byName = new Dictionary<string, List<HeaderField>>(StringComparer.OrdinalIgnoreCase);
        foreach (var h in below)
        {
            if (!byName.TryGetValue(h.Name.Trim(FieldNameSpace), out var list)) byName[h.Name.Trim(FieldNameSpace)] = list = new();
            list.Add(h);
        }
        var remaining = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var n in names) remaining[n] = remaining.GetValueOrDefault(n) + 1;

        var selected = new List<HeaderField>();
        for (var i = names.Count - 1; i >= 0; i--)
        {
            var name = names[i];
            remaining[name]--;
            if (!byName.TryGetValue(name, out var fields) || fields.Count == 0) continue;
            if (remaining[name] > 0)
            {
                selected.Add(fields[^1]);
                fields.RemoveAt(fields.Count - 1);
            }
            else
            {
                for (var j = fields.Count - 1; j >= 0; j--) selected.Add(fields[j]);
                fields.Clear();
            }
        }
        selected.Reverse();
        return selected;
    }
}
