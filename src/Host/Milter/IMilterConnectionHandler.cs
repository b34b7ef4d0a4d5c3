namespace Milters.Host.Milter;

/// <summary>
/// Runs one milter conversation over an accepted connection until QUIT, EOF, a protocol error or
/// cancellation (shutdown: finish the message in flight, then stop). Never throws for peer errors:
/// it logs them and returns. The listener owns and disposes the stream.
/// </summary>
public interface IMilterConnectionHandler
{
    Task HandleAsync(Stream connection, string peerDescription, CancellationToken shutdown);
}
