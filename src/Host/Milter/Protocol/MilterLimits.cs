namespace Milters.Host.Milter.Protocol;

/// <summary>Protocol numbers from libmilter's mfdef.h.</summary>
public static class MilterLimits
{
    /// <summary>SMFI_PROT_VERSION: the protocol version this host speaks.</summary>
    public const uint ProtocolVersion = 6;

    /// <summary>The oldest MTA protocol version accepted (Sendmail 8.13 and older Postfix speak 2).</summary>
    public const uint MinimumProtocolVersion = 2;

    /// <summary>MILTER_LEN_BYTES: the frame length prefix.</summary>
    public const int LengthBytes = 4;

    /// <summary>MILTER_OPTLEN: version, actions, protocol flags.</summary>
    public const int OptionLength = 12;

    /// <summary>MILTER_CHUNK_SIZE: the largest body chunk an MTA sends, and the largest SMFIR_REPLBODY chunk we send.</summary>
    public const int ChunkSize = 65535;

    /// <summary>Default largest accepted frame (config Milter:MaxFrameSize): far above 64 KB chunks, small enough to bound memory.</summary>
    public const int DefaultMaxFrameSize = 1024 * 1024;
}
