using System.Security.Cryptography;
using Milters.Abstractions;
using Milters.DomainKeys.Canonicalization;

namespace Milters.DomainKeys.Signing;

/// <summary>
/// Signs one message with one or more keys. All signatures cover the same header fields with the same
/// canonicalization, so one SHA-1 over header fields and body serves every key (RFC 4870 §3.4: the hash is
/// over the canonical header fields followed by the canonical body).
/// </summary>
internal sealed class MessageSigner : IDisposable
{
    /// <summary>
    /// Trace fields (RFC 5321 §4.4, RFC 8601 §5) are never signed: MTAs add them where the milter cannot see
    /// (Postfix hands its own Received field to no milter, yet it lands below a signature inserted at the
    /// top), and receivers remove or rewrite them. With an h= list naming them a hidden one would be hashed
    /// by verifiers too, so they stay out of h=.
    /// </summary>
    private static readonly HashSet<string> NeverSigned = new(StringComparer.OrdinalIgnoreCase)
    {
        "Received", "Return-Path", "Authentication-Results", "DomainKey-Signature",
    };

    private readonly HashSink sink = new();
    private readonly IBodyCanonicalizer body;

    /// <param name="headers">All header fields; the signatures go above them, so all are "below" the signature.</param>
    /// <param name="omit">Field names never signed (dk-filter -o).</param>
    /// <param name="writeHeaderList">Write h= even when every field is signed (dk-filter -H).</param>
    public MessageSigner(CanonicalizationAlgorithm canonicalization, IReadOnlyList<HeaderField> headers,
        IReadOnlyCollection<string> omit, bool writeHeaderList)
    {
        Canonicalization = canonicalization;
        var signed = new List<string>(headers.Count);
        var omitted = false;
        foreach (var h in headers)
        {
            if (omit.Contains(h.Name.Trim(SignedHeaders.FieldNameSpace), StringComparer.OrdinalIgnoreCase) || NeverSigned.Contains(h.Name.Trim(SignedHeaders.FieldNameSpace)))
            {
                omitted = true;
                continue;
            }
            HeaderCanonicalizer.Write(canonicalization, h, sink);
            signed.Add(h.Name.Trim(SignedHeaders.FieldNameSpace));
        }
        // Without h= a verifier hashes every field below the signature, so a skipped field forces the list.
        HeaderNames = writeHeaderList || omitted ? signed : null;
        body = BodyCanonicalizer.Create(canonicalization, sink);
    }

    public CanonicalizationAlgorithm Canonicalization { get; }

    /// <summary>
    /// The first field name no signature can cover, or null. A field name is printable US-ASCII without the colon
    /// (RFC 5322 §2.2; white space before the colon is the obsolete form of §4.5 and trimmed). A name with a line
    /// break or another control character cannot go into h= (the signature field would be broken) nor reach a
    /// verifier as the same field; one with inner white space or a colon, or of white space alone, would be read
    /// back from h= as other names.
    /// MTAs never pass such names; a milter client that does gets an unsigned message, not a failed one.
    /// </summary>
    public static string? UnsignableFieldName(IReadOnlyList<HeaderField> headers)
    {
        foreach (var h in headers)
        {
            var name = h.Name.AsSpan().Trim(" \t");
            if (name.IsEmpty) return h.Name;
            foreach (var c in name)
                if (c is <= ' ' or '\x7f' or ':' or '\uFFFD') return h.Name; // U+FFFD: bytes that were not UTF-8, gone for good
        }
        return null;
    }

    /// <summary>The h= list to write, or null for none.</summary>
    public IReadOnlyList<string>? HeaderNames { get; private set; }

    /// <summary>Force an h= list (several signatures must not cover each other).</summary>
    public void RequireHeaderList(IReadOnlyList<HeaderField> headers, IReadOnlyCollection<string> omit) =>
        HeaderNames ??= headers.Select(h => h.Name.Trim(SignedHeaders.FieldNameSpace)).Where(n => !omit.Contains(n, StringComparer.OrdinalIgnoreCase) && !NeverSigned.Contains(n)).ToList();

    public void Body(ReadOnlySpan<byte> chunk) => body.Write(chunk);

    /// <summary>Ends the body and returns the SHA-1 digest to sign.</summary>
    public byte[] Finish()
    {
        body.Finish();
        return sink.GetHashAndReset();
    }

    /// <summary>RSA PKCS#1 v1.5 over the SHA-1 digest (RFC 4870 §3.3 a=rsa-sha1).</summary>
    public static byte[] Sign(RSA key, byte[] digest) =>
        key.SignHash(digest, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

    public void Dispose() => sink.Dispose();
}
