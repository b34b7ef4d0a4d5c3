using System.Text;
using Milters.Abstractions;
using Milters.DomainKeys.Verifying;
using Milters.SenderId.Pra;
using Milters.SenderId.Spf;

namespace Milters.Fuzz;

/// <summary>
/// Header address parsing: the input is a header block ("Name: value" lines, folded lines continue a
/// field) from which the PRA is chosen (RFC 4407 §2) and the DomainKeys sending address found (RFC 4870
/// §3.5); the whole input is also parsed as one mailbox and turned into A-labels. Both report bad input by returning null/false.
/// </summary>
public static class PraTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        var headers = Headers(input);
        var pra = PraExtractor.Find(headers, out _);
        if (pra is not null)
        {
            _ = pra.LocalPart;
            _ = pra.Domain;
            // check_host()'s domain, in A-labels when the PRA is internationalized (RFC 7208 §4.3).
            var request = new SpfRequest(System.Net.IPAddress.Loopback, pra.Address, "helo.example");
            if (!DomainSpec.IsValidDomain(request.Domain)) _ = request.Sender;
        }
        _ = DomainSpec.ToALabels(text);
        PraExtractor.TryParseSingleMailbox(text, out _, out _);
        SendingAddress.Find(headers)?.IsInDomain("example.com");
        SendingAddress.Parse(text, fromSender: false);
    }

    /// <summary>Splits a header block the way the MTA hands it over: name up to the colon, value raw (CRLF folding kept).</summary>
    private static List<HeaderField> Headers(ReadOnlySpan<byte> block)
    {
        var headers = new List<HeaderField>();
        var lines = new List<(int Start, int End)>();
        int start = 0;
        for (int i = 0; i <= block.Length; i++)
        {
            if (i == block.Length || block[i] == (byte)'\n')
            {
                if (i > start) lines.Add((start, i));
                start = i + 1;
            }
        }
        var bytes = block.ToArray();
        for (int l = 0; l < lines.Count; l++)
        {
            var (s, e) = lines[l];
            int colon = Array.IndexOf(bytes, (byte)':', s, e - s);
            if (colon <= s) continue;
            int end = e;
            while (l + 1 < lines.Count && bytes[lines[l + 1].Start] is (byte)' ' or (byte)'\t') end = lines[++l].End;
            headers.Add(new HeaderField(Encoding.ASCII.GetString(bytes, s, colon - s), bytes.AsMemory(colon + 1, end - colon - 1)));
        }
        return headers;
    }
}
