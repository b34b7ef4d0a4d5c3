namespace Milters.Host.Milter;

/// <summary>
/// A connection that can acknowledge what it has received at once instead of delaying the ACK (TCP_QUICKACK).
/// The handler asks for it only after a read that it answered with nothing: a reply carries the ACK anyway,
/// and an immediate ACK is an extra packet and system call.
/// </summary>
public interface IAcknowledgeNow
{
    void AcknowledgeNow();
}
