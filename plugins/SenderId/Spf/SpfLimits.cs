namespace Milters.SenderId.Spf;

/// <summary>Processing limits of check_host(), each with the RFC text that sets it.</summary>
public static class SpfLimits
{
    /// <summary>Terms that cause DNS queries (include, a, mx, ptr, exists, redirect): at most 10 (RFC 7208 §4.6.4).</summary>
    public const int MaxDnsQueryingTerms = 10;

    /// <summary>Lookups answering NODATA or NXDOMAIN: more than 2 is a permerror (RFC 7208 §4.6.4, "SHOULD limit void lookups to two").</summary>
    public const int MaxVoidLookups = 2;

    /// <summary>An "mx" term looks up the addresses of at most 10 exchanges; needing an 11th is a permerror (RFC 7208 §4.6.4).</summary>
    public const int MaxMxNames = 10;

    /// <summary>Only the first 10 PTR names of "ptr" and %{p} are looked at (RFC 7208 §4.6.4).</summary>
    public const int MaxPtrNames = 10;

    /// <summary>A domain name is at most 253 characters; longer macro expansions lose labels on the left (RFC 7208 §7.3).</summary>
    public const int MaxDomainLength = 253;

    /// <summary>A DNS label is at most 63 octets (RFC 1035 §2.3.4; RFC 7208 §4.3).</summary>
    public const int MaxLabelLength = 63;
}
