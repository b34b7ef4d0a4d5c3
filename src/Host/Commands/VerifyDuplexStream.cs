using System.IO.Pipelines;

namespace Milters.Host.Commands;

/// <summary>
/// One end of an in-memory connection (two pipes, one per direction): `milters verify` runs the host's own
/// connection handler on one end and its MTA client on the other, so no socket is opened.
/// </summary>
internal sealed class VerifyDuplexStream(PipeReader input, PipeWriter output) : Stream
{
    public static (VerifyDuplexStream Mta, VerifyDuplexStream Milter) CreatePair()
    {
        var toMilter = new Pipe();
        var toMta = new Pipe();
        return (new VerifyDuplexStream(toMta.Reader, toMilter.Writer), new VerifyDuplexStream(toMilter.Reader, toMta.Writer));
    }

    private readonly Stream reading = input.AsStream();
    private readonly Stream writing = output.AsStream();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => reading.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => reading.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => reading.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => writing.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => writing.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => writing.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => writing.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => writing.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Completing our writer is the peer's end of stream.
            output.Complete();
            input.Complete();
        }
        base.Dispose(disposing);
    }
}
