using System.Text;

namespace Milters.Testing.Milter;

/// <summary>One frame the filter sent: its response code (SMFIR_* letter) and data.</summary>
public sealed record MilterReply(char Code, byte[] Data)
{
    /// <summary>Not a frame: the command was not sent (stage negotiated off with SMFIP_NO*).</summary>
    public static readonly MilterReply NotSent = new('\0', Array.Empty<byte>());

    /// <summary>Not a frame: the command was sent but negotiated no-reply (SMFIP_NR_*).</summary>
    public static readonly MilterReply NoReply = new('\u0001', Array.Empty<byte>());

    public bool IsContinue => Code == 'c';   // SMFIR_CONTINUE
    public bool IsAccept => Code == 'a';     // SMFIR_ACCEPT
    public bool IsReject => Code == 'r' || (Code == 'y' && Text.StartsWith('5'));  // SMFIR_REJECT / SMFIR_REPLYCODE 5xx
    public bool IsTempFail => Code == 't' || (Code == 'y' && Text.StartsWith('4')); // SMFIR_TEMPFAIL / SMFIR_REPLYCODE 4xx
    public bool IsDiscard => Code == 'd';    // SMFIR_DISCARD
    public bool IsSkip => Code == 's';       // SMFIR_SKIP

    /// <summary>Data as text without the trailing NUL (for SMFIR_REPLYCODE: "550 5.7.1 text").</summary>
    public string Text => Encoding.UTF8.GetString(Data.AsSpan().TrimEnd((byte)0));

    public override string ToString() => Code switch
    {
        '\0' => "(not sent)",
        '\u0001' => "(no reply)",
        _ => Data.Length == 0 ? $"'{Code}'" : $"'{Code}' {Text.Replace('\0', '|')}",
    };
}

/// <summary>A modification decoded from an end-of-message reply frame.</summary>
public sealed record MilterModification(char Code, string? Name, string? Value, int Index, byte[] Raw)
{
    public static MilterModification Decode(MilterReply frame)
    {
        var d = frame.Data;
        switch (frame.Code)
        {
            case 'h': // SMFIR_ADDHEADER name\0value\0
            {
                var parts = Split(d, 0);
                return new('h', parts[0], parts[1], 0, d);
            }
            case 'i': // SMFIR_INSHEADER index name\0value\0
            case 'm': // SMFIR_CHGHEADER index name\0value\0
            {
                int index = (d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3];
                var parts = Split(d, 4);
                return new(frame.Code, parts[0], parts[1], index, d);
            }
            case '+': // SMFIR_ADDRCPT rcpt\0
            case '-': // SMFIR_DELRCPT rcpt\0
            case 'q': // SMFIR_QUARANTINE reason\0
            {
                var parts = Split(d, 0);
                return new(frame.Code, parts[0], null, 0, d);
            }
            case '2': // SMFIR_ADDRCPT_PAR rcpt\0args\0
            case 'e': // SMFIR_CHGFROM from\0[args\0]
            {
                var parts = Split(d, 0);
                return new(frame.Code, parts[0], parts.Count > 1 ? parts[1] : null, 0, d);
            }
            default: // SMFIR_REPLBODY and others: raw data
                return new(frame.Code, null, null, 0, d);
        }
    }

    private static List<string> Split(byte[] data, int start)
    {
        var list = new List<string>();
        int i = start;
        while (i < data.Length)
        {
            int nul = Array.IndexOf(data, (byte)0, i);
            if (nul < 0) throw new InvalidDataException($"modification field without NUL: {Convert.ToHexString(data)}");
            list.Add(Encoding.UTF8.GetString(data, i, nul - i));
            i = nul + 1;
        }
        return list;
    }

    public override string ToString() => Code switch
    {
        'h' => $"add header {Name}:{Value}",
        'i' => $"insert header #{Index} {Name}:{Value}",
        'm' => $"change header {Name}[{Index}] => {Value}",
        'b' => $"replace body ({Raw.Length} bytes)",
        _ => $"'{Code}' {Name} {Value}",
    };
}

/// <summary>Everything the filter answered to SMFIC_BODYEOB.</summary>
/// <param name="Modifications">Modification frames in the order received.</param>
/// <param name="Verdict">The final frame (accept, continue, reject, tempfail, discard, reply code).</param>
/// <param name="SocketReads">How many socket reads it took to receive all of it (1 = it arrived in one piece).</param>
/// <param name="Progress">How many SMFIR_PROGRESS frames came before the verdict.</param>
public sealed record EndOfMessageResult(
    IReadOnlyList<MilterModification> Modifications, MilterReply Verdict, int SocketReads, int Progress)
{
    public IEnumerable<MilterModification> AddedHeaders => Modifications.Where(m => m.Code is 'h' or 'i');

    public byte[] ReplacedBody => Modifications.Where(m => m.Code == 'b').SelectMany(m => m.Raw).ToArray();
}

/// <summary>The filter's answer to SMFIC_OPTNEG.</summary>
public sealed record NegotiationResult(uint Version, uint Actions, uint Protocol)
{
    /// <summary>True when every bit of <paramref name="protocolFlags"/> was negotiated.</summary>
    public bool Has(uint protocolFlags) => (Protocol & protocolFlags) == protocolFlags;

    public override string ToString() => $"v{Version}, actions 0x{Actions:x}, protocol 0x{Protocol:x}";
}
