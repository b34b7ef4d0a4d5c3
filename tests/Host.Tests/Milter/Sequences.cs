using System.Buffers;

namespace Milters.Host.Tests.Milter;

/// <summary>Builds multi-segment sequences, as a pipe hands them over when bytes arrive in pieces.</summary>
public static class Sequences
{
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        var points = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().ToList();
        if (points.Count == 0) return new ReadOnlySequence<byte>(bytes);
        Segment? first = null, last = null;
        int start = 0;
        foreach (var end in points.Append(bytes.Length))
        {
            var seg = new Segment(bytes.AsMemory(start, end - start));
            if (first is null) first = last = seg;
            else last = last!.Append(seg);
            start = end;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
            return next;
        }
    }
}
