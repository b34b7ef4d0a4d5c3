using System.Net;
using System.Text;
using Milters.SenderId.Spf;

namespace Milters.Fuzz;

/// <summary>
/// SPF macro-strings (RFC 7208 §7): the input as a domain-spec and as explanation text, parsed and then
/// expanded for an IPv4 and an IPv6 client. Bad input is <see cref="SpfException"/> (permerror).
/// </summary>
public static class SpfMacroTarget
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly MacroContext[] Contexts =
    [
        new("strong-bad@email.example.com", "email.example.com", IPAddress.Parse("192.0.2.3"), "mx.example.org", "mx.example.net", Now, _ => ValueTask.FromResult("mx.example.org")),
        new("postmaster@a.b", "a.b", IPAddress.Parse("2001:db8::cb01"), "h", "unknown", Now, _ => ValueTask.FromResult("unknown")),
    ];

    public static void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        foreach (var explain in new[] { false, true })
        {
            MacroString spec;
            try
            {
                spec = MacroString.Parse(text, explain);
            }
            catch (SpfException)
            {
                continue;
            }
            _ = spec.EndsWithMacro;
            foreach (var context in Contexts)
            {
                try
                {
                    MacroExpander.ExpandAsync(spec, context).AsTask().GetAwaiter().GetResult();
                    if (!explain) MacroExpander.ExpandDomainAsync(spec, context).AsTask().GetAwaiter().GetResult();
                }
                catch (SpfException)
                {
                }
            }
        }
        try
        {
            DomainSpec.Parse(text);
        }
        catch (SpfException)
        {
        }
        DomainSpec.IsValidDomain(text);
    }
}
