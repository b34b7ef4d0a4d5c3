namespace Milters.Testing.Milter;

/// <summary>
/// The MTA's side of a milter connection as a stream: reads give fixed bytes (a recorded or fuzzed
/// conversation), then end of stream; whatever the filter writes is dropped. Used by the fuzz targets and
/// by the tests that replay their corpora.
/// </summary>
public sealed class ScriptedMtaStream(byte[] input) : MtaStream
{
    private int position;

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(buffer.Length, input.Length - position);
        input.AsSpan(position, n).CopyTo(buffer);
        position += n;
        return n;
    }

    public override void Write(ReadOnlySpan<byte> buffer) { }
}
