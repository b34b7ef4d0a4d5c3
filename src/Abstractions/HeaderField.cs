using System.Text;

namespace Milters.Abstractions;

/// <summary>
/// One header field as the MTA passed it. <see cref="RawValue"/> holds the exact bytes after the colon,
/// leading white space included (the host negotiates SMFIP_HDR_LEADSPC; if the MTA cannot, it restores
/// the conventional single space), folded lines with CRLF line breaks, no trailing CRLF.
/// </summary>
public sealed class HeaderField
{
    private string? value;

    public HeaderField(string name, ReadOnlyMemory<byte> rawValue)
    {
        Name = name;
        RawValue = rawValue;
    }

    /// <summary>Field name as received (case preserved).</summary>
    public string Name { get; }

    /// <summary>Bytes after the colon: leading space kept, CRLF inside folded lines.</summary>
    public ReadOnlyMemory<byte> RawValue { get; }

    /// <summary><see cref="RawValue"/> decoded as UTF-8 (invalid bytes replaced), leading white space kept.</summary>
    public string Value => value ??= Encoding.UTF8.GetString(RawValue.Span);

    /// <summary>
    /// Case-insensitive, and blind to white space between the name and the colon ("Subject :", RFC 5322 §4.5.3
    /// obs-optional), which is not part of the name; <see cref="Name"/> itself keeps it, as the MTA passed it.
    /// </summary>
    public bool Is(string name) => Name.AsSpan().TrimEnd(" \t").Equals(name, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Name}:{Value}";
}
