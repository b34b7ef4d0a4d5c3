using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Milters.Benchmarks.Support;
using Milters.DomainKeys.Canonicalization;

namespace Milters.Benchmarks.DomainKeys;

/// <summary>
/// Body canonicalization (RFC 4870 §3.4) streamed into SHA-1, in 64 KB chunks as the MTA sends them.
/// MB/s = BodySize / mean time. "Copy" is the canonicalizer writing into a no-op sink: the
/// canonicalization cost without the hash.
/// </summary>
[MemoryDiagnoser]
public class CanonicalizationBenchmarks
{
    private byte[] body = [];

    // A string parameter: the plugin's enum is internal and BenchmarkDotNet needs public parameter types.
    [Params("simple", "nofws")]
    public string Canonicalization { get; set; } = "simple";

    private CanonicalizationAlgorithm Algorithm => Canonicalization == "nofws" ? CanonicalizationAlgorithm.NoFws : CanonicalizationAlgorithm.Simple;

    [Params(1024 * 1024)]
    public int BodySize { get; set; }

    [GlobalSetup]
    public void Setup() => body = BenchText.Body(BodySize);

    [Benchmark]
    public byte[] CanonicalizeAndHash()
    {
        using var sink = new HashSink();
        var canonicalizer = BodyCanonicalizer.Create(Algorithm, sink);
        Feed(canonicalizer);
        return sink.GetHashAndReset();
    }

    [Benchmark]
    public void CanonicalizeOnly()
    {
        var canonicalizer = BodyCanonicalizer.Create(Algorithm, NullSink.Instance);
        Feed(canonicalizer);
    }

    [Benchmark(Baseline = true)]
    public byte[] HashOnly()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        for (int off = 0; off < body.Length; off += 65535)
            hash.AppendData(body.AsSpan(off, Math.Min(65535, body.Length - off)));
        return hash.GetHashAndReset();
    }

    private void Feed(IBodyCanonicalizer canonicalizer)
    {
        for (int off = 0; off < body.Length; off += 65535)
            canonicalizer.Write(body.AsSpan(off, Math.Min(65535, body.Length - off)));
        canonicalizer.Finish();
    }

    private sealed class NullSink : IByteSink
    {
        public static readonly NullSink Instance = new();

        public void Write(ReadOnlySpan<byte> bytes) { }
    }
}
