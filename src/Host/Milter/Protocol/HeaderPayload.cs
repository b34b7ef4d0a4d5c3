namespace Milters.Host.Milter.Protocol;

/// <summary>SMFIC_HEADER: name\0value\0.</summary>
public static class HeaderPayload
{
    private const string Command = "SMFIC_HEADER";

    public static void Parse(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var s = new CStrings(data, Command);
        name = s.Next("header name");
        if (name.IsEmpty) throw new MilterProtocolException($"{Command}: empty header name");
        if (s.IsEmpty) throw new MilterProtocolException($"{Command}: no value after the header name");
        value = s.Next("header value");
        s.End();
    }
}
