using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Milters.Abstractions;
using Milters.Benchmarks.Support;
using Milters.DomainKeys.Canonicalization;
using Milters.DomainKeys.Keys;
using Milters.DomainKeys.Signing;
using Milters.DomainKeys.Verifying;

namespace Milters.Benchmarks.DomainKeys;

/// <summary>
/// One whole message through the DomainKeys plugin's own pieces, as its filter drives them: sign = hash
/// the 8 header fields and the body (nofws), RSA-sign, format the header; verify = parse the signature,
/// hash, look the key up (in-memory zone), parse the key record, RSA-verify. Allocations here are the
/// plugin's per-message cost on the hot path, without the host's protocol handling.
/// </summary>
[MemoryDiagnoser]
public class MessageBenchmarks
{
    private RSA key = null!;
    private List<HeaderField> headers = [];
    private List<HeaderField> signedHeaders = [];
    private byte[] body = [];
    private ZoneResolver zone = null!;

    [Params(1024, 2048)]
    public int Bits { get; set; }

    [Params(4 * 1024)]
    public int BodySize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        key = RSA.Create(Bits);
        headers = BenchText.Headers.Select(h => new HeaderField(h.Name, Encoding.ASCII.GetBytes(h.Value))).ToList();
        body = BenchText.Body(BodySize);
        zone = new ZoneResolver().Txt("bench._domainkey.example.com", "k=rsa; p=" + Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()));
        string signature = Sign();
        signedHeaders = [new HeaderField(DomainKeySignature.HeaderName, Encoding.ASCII.GetBytes(signature)), .. headers];
        if (Verify().Result != AuthResultCode.Pass) throw new InvalidOperationException("benchmark signature does not verify");
    }

    // As in the plugin: one cache of parsed keys shared by all messages.
    private readonly KeyRecordCache keyRecords = new();

    [GlobalCleanup]
    public void Cleanup() => key.Dispose();

    [Benchmark(Baseline = true)]
    public string Sign()
    {
        using var signer = new MessageSigner(CanonicalizationAlgorithm.NoFws, headers, [], writeHeaderList: false);
        for (int off = 0; off < body.Length; off += 65535)
            signer.Body(body.AsSpan(off, Math.Min(65535, body.Length - off)));
        var digest = signer.Finish();
        var signature = MessageSigner.Sign(key, digest);
        return " " + SignatureFormatter.Format("example.com", "bench", CanonicalizationAlgorithm.NoFws, signer.HeaderNames, signature).TrimStart();
    }

    [Benchmark]
    public async Task<AuthResultCode> Verify()
    {
        using var check = SignatureCheck.Start(signedHeaders, 0, requireQueryTag: false, zone, CancellationToken.None, out var early, keyRecords)
            ?? throw new InvalidOperationException(early?.ToString());
        for (int off = 0; off < body.Length; off += 65535)
            check.Body(body.AsSpan(off, Math.Min(65535, body.Length - off)));
        return (await check.FinishAsync()).Code;
    }
}
