using System.Text;
using Milters.DomainKeys.Keys;
using Milters.DomainKeys.Tags;
using Milters.DomainKeys.Verifying;

namespace Milters.Fuzz;

/// <summary>
/// DomainKeys tag lists (RFC 4870 §3.2): the input is a DomainKey-Signature value (as it comes from the
/// MTA, decoded as UTF-8) and, the same text, a key record from DNS. These parsers report bad input by
/// returning false with a reason, so every exception is a finding.
/// </summary>
public static class DomainKeysTagsTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (TagList.TryParse(text, out var tags, out _))
        {
            foreach (var tag in tags.Tags) _ = tags[tag.Key];
            TagList.RemoveWhiteSpace(text);
        }
        DomainKeySignature.TryParse(text, requireQueryTag: false, out var signature, out _);
        if (signature is not null) _ = signature.KeyName;
        DomainKeySignature.TryParse(text, requireQueryTag: true, out _, out _);
        if (KeyRecord.TryParse(text, out var key, out _) && key is not null)
        {
            key.AllowsLocalPart("user");
            key.AllowsLocalPart(text);
            key.PublicKey?.Dispose();
        }
    }
}
