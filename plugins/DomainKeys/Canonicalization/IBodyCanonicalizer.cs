namespace Milters.DomainKeys.Canonicalization;

/// <summary>
/// A streaming body canonicalizer: chunks in (any split, CRLF line ends), canonical bytes out to a sink.
/// Memory does not grow with the body: trailing empty lines are counted, never buffered.
/// </summary>
internal interface IBodyCanonicalizer
{
    /// <summary>One body chunk; the span is not kept after the call.</summary>
    void Write(ReadOnlySpan<byte> chunk);

    /// <summary>End of body: drops the trailing empty lines still held back.</summary>
    void Finish();
}

internal static class BodyCanonicalizer
{
    public static IBodyCanonicalizer Create(CanonicalizationAlgorithm algorithm, IByteSink sink) =>
        algorithm == CanonicalizationAlgorithm.NoFws
            ? new NoFwsBodyCanonicalizer(sink)
            : new SimpleBodyCanonicalizer(sink);
}
