namespace Milters.AuthResults.Syntax;

/// <summary>
/// The structure of one Authentication-Results field value (RFC 8601 §2.2), as parsed or about to be
/// written. Keywords (method, result, ptype, property) keep the case they were written in; they compare
/// case-insensitively. Comments are not part of the structure.
/// </summary>
internal sealed record AuthResultsHeader(string AuthservId, int? Version, IReadOnlyList<ResInfo> Results)
{
    /// <summary>True for "authserv-id; none" (RFC 8601 §2.2 no-result).</summary>
    public bool IsNone => Results.Count == 0;
}

/// <summary>One resinfo: <c>method[/version]=result [reason=…] ptype.property=pvalue …</c>.</summary>
internal sealed record ResInfo(string Method, int? MethodVersion, string Result, string? Reason, IReadOnlyList<PropSpec> Properties);

/// <summary>One propspec: <c>ptype.property=pvalue</c>; <see cref="Value"/> without the quotes of a quoted-string.</summary>
internal sealed record PropSpec(string Type, string Property, string Value);
