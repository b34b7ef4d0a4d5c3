using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Milters.DomainKeys.Canonicalization;

/// <summary>
/// RFC 4870 §3.4.2 "nofws" for the body: every SP and HTAB removed, CR and LF kept only as CRLF pairs
/// (a CR not followed by LF, or an LF not preceded by CR, is dropped — after the white space is gone, so
/// "CR SP LF" is a line end), then the "simple" rule for trailing empty lines (a line of white space is
/// empty). Byte-compatible with Mail::DKIM's dk_nofws for mail with CRLF line ends, which is what an MTA hands a
/// milter. Bare LFs differ: Mail::DKIM's s/([^\015])\012/$1/ keeps every second LF of a run of them and one at the
/// start of each chunk it is given (its chunks end at the last CRLF of whatever its caller wrote), so its result
/// depends on the caller's writes; here every bare LF goes, as the rule above says (an independent comparison
/// found the difference; both MTAs turn bare LFs into CRLF before the milter sees them).
/// </summary>
internal sealed class NoFwsBodyCanonicalizer(IByteSink sink) : IBodyCanonicalizer
{
    // White space comes every five bytes or so: too often for a vectorised search per run (IndexOfAny cost
    // ~4.7 ns a byte) or a loop over bytes (~2.1 ns: a branch mispredicted at every space, or a dependency
    // from each byte's class to the next store). So 16 bytes at a time are compacted with one byte shuffle
    // (the "despacing" technique): a mask of the kept bytes picks a shuffle from a table, per half of the
    // block. Blocks where a CR or LF is not part of a CRLF inside the block, or with other control bytes,
    // take the byte-at-a-time path. The kept bytes are gathered in a pooled scratch buffer and passed on.
    private const int ScratchSize = 4096;
    private const int Block = 16;

    // For each 8-bit mask of kept bytes: the indexes of its set bits, in order, packed into a ulong (the
    // first index in the lowest byte). HighHalf is the same for the block's upper eight bytes (index + 8).
    private static readonly ulong[] LowHalf = BuildShuffles(0);
    private static readonly ulong[] HighHalf = BuildShuffles(8);

    private readonly SimpleBodyCanonicalizer lines = new(sink);
    private bool pendingCr;

    public void Write(ReadOnlySpan<byte> chunk)
    {
        var rented = ArrayPool<byte>.Shared.Rent(ScratchSize);
        var scratch = rented.AsSpan(0, ScratchSize);
        var used = 0;
        var cr = pendingCr;
        try
        {
            var done = Vector128.IsHardwareAccelerated ? WriteBlocks(chunk, scratch, ref used, ref cr) : 0;
            WriteBytes(chunk[done..], scratch, ref used, ref cr);
            if (used > 0) lines.Write(scratch[..used]);
        }
        finally
        {
            pendingCr = cr;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void Finish()
    {
        pendingCr = false; // a CR at the very end has no LF: standalone, dropped
        lines.Finish();
    }

    /// <summary>Whole 16-byte blocks; returns how many bytes it consumed.</summary>
    private int WriteBlocks(ReadOnlySpan<byte> chunk, Span<byte> scratch, ref int used, ref bool cr)
    {
        ref var source = ref MemoryMarshal.GetReference(chunk);
        ref var target = ref MemoryMarshal.GetReference(scratch);
        var space = Vector128.Create((byte)' ');
        var tab = Vector128.Create((byte)'\t');
        var carriageReturn = Vector128.Create((byte)'\r');
        var lineFeed = Vector128.Create((byte)'\n');
        var i = 0;
        for (; i + Block <= chunk.Length; i += Block)
        {
            if (used > ScratchSize - Block)
            {
                lines.Write(scratch[..used]);
                used = 0;
            }
            var bytes = Vector128.LoadUnsafe(ref source, (nuint)i);
            // Every special byte (SP, HTAB, CR, LF) is at or below SP.
            var low = Vector128.LessThanOrEqual(bytes, space).ExtractMostSignificantBits();
            if (low == 0)
            {
                bytes.StoreUnsafe(ref target, (nuint)used);
                used += Block;
                cr = false; // content after a pending CR: the CR was standalone
                continue;
            }
            var whiteSpace = (Vector128.Equals(bytes, space) | Vector128.Equals(bytes, tab)).ExtractMostSignificantBits();
            var crs = Vector128.Equals(bytes, carriageReturn).ExtractMostSignificantBits();
            var lfs = Vector128.Equals(bytes, lineFeed).ExtractMostSignificantBits();
            // The fast path keeps every CR and LF, so each must be half of a CRLF within the block (white
            // space between them would still make them a pair: left to the slow path, as are other controls).
            if (cr || low != (whiteSpace | crs | lfs) || crs << 1 != lfs)
            {
                WriteBytes(chunk.Slice(i, Block), scratch, ref used, ref cr);
                continue;
            }
            var kept = ~whiteSpace & 0xFFFF;
            var shuffle = Vector128.Create(LowHalf[kept & 0xFF], HighHalf[kept >> 8]).AsByte();
            var packed = Vector128.Shuffle(bytes, shuffle).AsUInt64();
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, used), packed.GetElement(0));
            used += BitOperations.PopCount(kept & 0xFF);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, used), packed.GetElement(1));
            used += BitOperations.PopCount(kept >> 8);
        }
        return i;
    }

    private void WriteBytes(ReadOnlySpan<byte> part, Span<byte> scratch, ref int used, ref bool cr)
    {
        foreach (var b in part)
        {
            // Room for the two bytes of a line end.
            if (used > ScratchSize - 2)
            {
                lines.Write(scratch[..used]);
                used = 0;
            }
            switch (b)
            {
                case (byte)' ' or (byte)'\t':
                    // Removed before line ends are judged, so "CR SP LF" is a line end.
                    break;
                case (byte)'\r':
                    // A CR already pending is followed by another CR: standalone, dropped.
                    cr = true;
                    break;
                case (byte)'\n':
                    if (cr)
                    {
                        scratch[used++] = (byte)'\r';
                        scratch[used++] = (byte)'\n';
                        cr = false;
                    }
                    // An LF without CR is dropped.
                    break;
                default:
                    // Content; a CR pending before it was standalone, dropped.
                    cr = false;
                    scratch[used++] = b;
                    break;
            }
        }
    }

    private static ulong[] BuildShuffles(byte offset)
    {
        var table = new ulong[256];
        for (var mask = 0; mask < 256; mask++)
        {
            ulong shuffle = 0;
            var n = 0;
            for (var bit = 0; bit < 8; bit++)
                if ((mask & (1 << bit)) != 0) shuffle |= (ulong)(byte)(bit + offset) << (8 * n++);
            // Bytes past the kept ones are never read (the next write starts where the kept ones end).
            for (; n < 8; n++) shuffle |= (ulong)offset << (8 * n);
            table[mask] = shuffle;
        }
        return table;
    }
}
