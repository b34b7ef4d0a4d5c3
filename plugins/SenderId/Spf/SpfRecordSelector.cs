using Milters.Abstractions;

namespace Milters.SenderId.Spf;

/// <summary>
/// Picks the record that applies from the TXT records of a domain: RFC 7208 §4.5 for plain SPF
/// (only "v=spf1"), RFC 4406 §4.4 for the Sender ID scopes (an spf2.0 record naming the scope takes
/// precedence over "v=spf1"). Each TXT RR is one record, its strings joined without separators (RFC 7208 §3.3).
/// </summary>
public static class SpfRecordSelector
{
    /// <summary>The selected record text, or null when none applies. Throws permerror for two or more.</summary>
    public static string? Select(IReadOnlyList<TxtRecord> records, SpfScope scope, bool useSpf1ForPra = true)
    {
        var spf1 = new List<string>();
        var spf2 = new List<string>();
        foreach (var rr in records)
        {
            var text = rr.Text;
            if (!SpfVersionTag.TryRead(text, out var tag)) continue;
            if (tag.IsSpf1) spf1.Add(text);
            else if (scope != SpfScope.Spf && tag.Covers(scope.ScopeId())) spf2.Add(text);
        }
        var chosen = spf2.Count > 0 ? spf2
            : scope == SpfScope.Pra && !useSpf1ForPra ? spf2
            : spf1;
        return chosen.Count switch
        {
            0 => null,
            1 => chosen[0],
            // RFC 7208 §4.5 / RFC 4406 §4.4: more than one record → permerror.
            _ => throw SpfException.Perm($"{chosen.Count} SPF records for one scope"),
        };
    }
}
