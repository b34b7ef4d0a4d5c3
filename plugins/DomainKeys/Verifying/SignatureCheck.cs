using System.Security.Cryptography;
using Milters.Abstractions;
using Milters.DomainKeys.Canonicalization;
using Milters.DomainKeys.Keys;

namespace Milters.DomainKeys.Verifying;

/// <summary>
/// Verification of one DomainKey-Signature across a message (RFC 4870 §3.5): the covered header fields are
/// hashed at end of headers, the key lookup starts then too, body chunks stream through the canonicalizer
/// into SHA-1, and the end of message awaits the key and checks the RSA signature.
/// </summary>
internal sealed class SignatureCheck : IDisposable
{
    private readonly DomainKeySignature signature;
    private readonly SendingAddress identity;
    private readonly HashSink sink = new();
    private readonly IBodyCanonicalizer body;
    private readonly Task<DnsAnswer<TxtRecord>> keyLookup;
    private readonly KeyRecordCache keyRecords;

    private SignatureCheck(DomainKeySignature signature, SendingAddress identity, IReadOnlyList<HeaderField> covered, IDnsResolver resolver,
        KeyRecordCache keyRecords, CancellationToken cancellation)
    {
        this.signature = signature;
        this.identity = identity;
        this.keyRecords = keyRecords;
        foreach (var h in covered) HeaderCanonicalizer.Write(signature.Canonicalization, h, sink);
        body = BodyCanonicalizer.Create(signature.Canonicalization, sink);
        keyLookup = resolver.QueryTxtAsync(signature.KeyName, cancellation).AsTask();
    }

    /// <summary>
    /// Checks what can be checked from the header alone (tags, signed identity vs d=) and, when that passes,
    /// starts the key lookup and hashes the covered fields. Otherwise returns the final result right away.
    /// </summary>
    /// <param name="headers">All header fields of the message, in order.</param>
    /// <param name="index">Position of this DomainKey-Signature among them.</param>
    /// <param name="keyRecords">Parsed keys shared across messages; null: a private one (tests, benchmarks).</param>
    /// <param name="identities">Sending addresses already read from a field, for the signatures of one message.</param>
    public static SignatureCheck? Start(IReadOnlyList<HeaderField> headers, int index, bool requireQueryTag,
        IDnsResolver resolver, CancellationToken cancellation, out VerificationResult? early, KeyRecordCache? keyRecords = null,
        Dictionary<HeaderField, SendingAddress?>? identities = null)
    {
        early = null;
        if (!DomainKeySignature.TryParse(headers[index].Value, requireQueryTag, out var signature, out var error))
        {
            // Name the domain and selector when the tag list itself is readable, for the report.
            Tags.TagList.TryParse(headers[index].Value, out var tags, out _);
            early = new VerificationResult(AuthResultCode.PermError, $"bad signature syntax: {error}", VerificationFailure.BadSignature,
                NonEmpty(tags["d"])?.ToLowerInvariant(), NonEmpty(tags["s"]));
            return null;
        }
        var below = new List<HeaderField>(headers.Count - index - 1);
        for (var i = index + 1; i < headers.Count; i++) below.Add(headers[i]);
        var covered = SignedHeaders.Select(below, signature!.HeaderNames);

        // RFC 4870 §3.5: the sending address is taken from the signed Sender, else the signed From.
        var identity = SendingAddress.Find(covered, identities);
        if (identity is null)
        {
            early = new VerificationResult(AuthResultCode.PermError, "no signed From or Sender", VerificationFailure.BadSignature,
                signature.Domain, signature.Selector);
            return null;
        }
        if (!identity.IsInDomain(signature.Domain))
        {
            early = new VerificationResult(AuthResultCode.PermError, "bad identity", VerificationFailure.BadSignature,
                signature.Domain, signature.Selector, identity);
            return null;
        }
        return new SignatureCheck(signature, identity, covered, resolver, keyRecords ?? new KeyRecordCache(1), cancellation);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public void Body(ReadOnlySpan<byte> chunk) => body.Write(chunk);

    public async ValueTask<VerificationResult> FinishAsync()
    {
        body.Finish();
        var digest = sink.GetHashAndReset();
        var answer = await keyLookup.ConfigureAwait(false);

        VerificationResult Result(AuthResultCode code, string? reason, VerificationFailure failure, bool testing = false) =>
            new(code, reason, failure, signature.Domain, signature.Selector, identity, testing);

        // Which lookup and how it failed, for the log line an administrator reads next to the 451 (timeout or SERVFAIL).
        if (answer.IsTemporaryError) return Result(AuthResultCode.TempError, $"dns error: {answer.Status} looking up TXT {signature.KeyName}", VerificationFailure.DnsError);
        if (answer.Status != DnsStatus.Ok || answer.Records.Count == 0)
            return Result(AuthResultCode.PermError, "no key", VerificationFailure.BadSignature);

        // As Mail::DKIM and libdk do, the first TXT record at the name is the key record.
        // The record stays cached (and its key undisposed) for later messages.
        if (!keyRecords.TryGet(answer.Records[0].Text, out var key, out var error))
            return Result(AuthResultCode.PermError, $"bad key: {error}", VerificationFailure.BadSignature);
        var publicKey = key!.PublicKey;
        if (key.IsRevoked) return Result(AuthResultCode.PermError, "revoked", VerificationFailure.BadSignature, key.Testing);
        if (!key.AllowsLocalPart(identity.LocalPart))
            return Result(AuthResultCode.PermError, "granularity mismatch", VerificationFailure.BadSignature, key.Testing);
        if (key.NoSubdomains && !string.Equals(identity.Domain, signature.Domain.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
            return Result(AuthResultCode.PermError, "key does not sign for subdomains (t=s)", VerificationFailure.BadSignature, key.Testing);

        bool verified;
        try
        {
            verified = publicKey!.VerifyHash(digest, signature.Data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            verified = false;
        }
        if (verified)
            return Result(AuthResultCode.Pass, key.Testing ? "testing" : null, VerificationFailure.None, key.Testing);
        // A testing domain's failures are treated like unsigned mail (RFC 4870 §3.2.3 t=y): no failure action.
        return Result(AuthResultCode.Fail, key.Testing ? "bad signature; testing" : "bad signature",
            key.Testing ? VerificationFailure.None : VerificationFailure.BadSignature, key.Testing);
    }

    public void Dispose() => sink.Dispose();
}
