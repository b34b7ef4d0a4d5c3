using System.Buffers.Binary;

namespace Milters.Host.Milter.Protocol;

/// <summary>SMFIC_OPTNEG: protocol version, actions (SMFIF_*) and protocol steps (SMFIP_*).</summary>
public readonly record struct OptionNegotiation(uint Version, MilterActions Actions, MilterProtocolFlags Protocol)
{
    /// <summary>
    /// At least MILTER_OPTLEN bytes; more are ignored, as libmilter ignores them (room a later MTA may use).
    /// Versions below 2 (no negotiation) and above 6 (unknown) are refused.
    /// </summary>
    public static OptionNegotiation Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < MilterLimits.OptionLength)
            throw new MilterProtocolException($"SMFIC_OPTNEG: {data.Length} bytes, expected {MilterLimits.OptionLength}");
        uint version = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (version < MilterLimits.MinimumProtocolVersion || version > MilterLimits.ProtocolVersion)
            throw new MilterProtocolException(
                $"SMFIC_OPTNEG: protocol version {version} not supported ({MilterLimits.MinimumProtocolVersion}..{MilterLimits.ProtocolVersion})");
        return new OptionNegotiation(
            version,
            (MilterActions)BinaryPrimitives.ReadUInt32BigEndian(data[4..]),
            (MilterProtocolFlags)BinaryPrimitives.ReadUInt32BigEndian(data[8..]));
    }

    public override string ToString() => $"version {Version}, actions 0x{(uint)Actions:x}, protocol 0x{(uint)Protocol:x}";
}
