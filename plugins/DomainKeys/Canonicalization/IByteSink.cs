using System.Security.Cryptography;

namespace Milters.DomainKeys.Canonicalization;

/// <summary>Where canonical bytes go: a hash while signing/verifying, a buffer in tests.</summary>
internal interface IByteSink
{
    void Write(ReadOnlySpan<byte> bytes);
}

/// <summary>Feeds an incremental hash (SHA-1 for DomainKeys, RFC 4870 §3.3 a=rsa-sha1).</summary>
internal sealed class HashSink(IncrementalHash hash) : IByteSink
{
    public void Write(ReadOnlySpan<byte> bytes) => hash.AppendData(bytes);
}

/// <summary>Collects the canonical form (tests, debugging).</summary>
internal sealed class BufferSink : IByteSink
{
    private readonly MemoryStream buffer = new();

    public void Write(ReadOnlySpan<byte> bytes) => buffer.Write(bytes);

    public byte[] ToArray() => buffer.ToArray();
}
