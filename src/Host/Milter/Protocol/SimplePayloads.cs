namespace Milters.Host.Milter.Protocol;

/// <summary>The one-string and empty payloads: SMFIC_HELO, SMFIC_UNKNOWN, and commands without data.</summary>
public static class SimplePayloads
{
    /// <summary>SMFIC_HELO: name\0 (8-bit bytes tolerated, see <see cref="CStrings.Decode"/>).</summary>
    public static string ParseHelo(ReadOnlySpan<byte> data)
    {
        var s = new CStrings(data, "SMFIC_HELO");
        var name = s.Next("HELO name");
        s.End();
        return CStrings.Decode(name);
    }

    /// <summary>SMFIC_UNKNOWN: the SMTP command line; the trailing NUL is optional (older MTAs omit it).</summary>
    public static string ParseUnknown(ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty && data[^1] == 0) data = data[..^1];
        if (data.IndexOf((byte)0) >= 0) throw new MilterProtocolException("SMFIC_UNKNOWN: NUL inside the command");
        return CStrings.Decode(data);
    }

    /// <summary>SMFIC_ABORT, SMFIC_QUIT, SMFIC_QUIT_NC, SMFIC_DATA, SMFIC_EOH carry no data.</summary>
    public static void ExpectEmpty(ReadOnlySpan<byte> data, MilterCommand command) =>
        CStrings.ExpectEmpty(data, MilterCommands.Name(command));
}
