using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Milters.Benchmarks.DomainKeys;

/// <summary>
/// rsa-sha1 (RFC 4870 §3.3) of a 4 KB message (SHA-1 included on both sides): .NET's OpenSSL-backed RSA, as the
/// plugin uses, against BouncyCastle's RsaDigestSigner. Ops/s = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class RsaBenchmarks
{
    private RSA dotnet = null!;
    private AsymmetricKeyParameter bcPrivate = null!;
    private AsymmetricKeyParameter bcPublic = null!;
    private byte[] message = [];
    private byte[] digest = [];
    private byte[] signature = [];

    [Params(1024, 2048)]
    public int Bits { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        dotnet = RSA.Create(Bits);
        var pair = DotNetUtilities.GetRsaKeyPair(dotnet.ExportParameters(includePrivateParameters: true));
        bcPrivate = pair.Private;
        bcPublic = pair.Public;
        message = Support.BenchText.Body(4096);
        digest = SHA1.HashData(message);
        signature = dotnet.SignHash(digest, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
    }

    [GlobalCleanup]
    public void Cleanup() => dotnet.Dispose();

    [Benchmark(Baseline = true)]
    public byte[] SignDotNet() => dotnet.SignData(message, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

    [Benchmark]
    public byte[] SignBouncyCastle()
    {
        var signer = new RsaDigestSigner(new Sha1Digest());
        signer.Init(true, bcPrivate);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.GenerateSignature();
    }

    [Benchmark]
    public bool VerifyDotNet() => dotnet.VerifyData(message, signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

    [Benchmark]
    public bool VerifyBouncyCastle()
    {
        var signer = new RsaDigestSigner(new Sha1Digest());
        signer.Init(false, bcPublic);
        signer.BlockUpdate(message, 0, message.Length);
        return signer.VerifySignature(signature);
    }
}
