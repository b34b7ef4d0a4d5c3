using Milters.Abstractions;

namespace Milters.Host.Milter.Protocol;

/// <summary>SMFIC_MACRO: the stage (the command letter the macros belong to), then name\0value\0 pairs.</summary>
public static class MacroPayload
{
    private const string Command = "SMFIC_MACRO";

    public static MacroStage Parse(ReadOnlySpan<byte> data, List<KeyValuePair<string, string>> pairs)
    {
        if (data.IsEmpty) throw new MilterProtocolException($"{Command}: empty (no stage)");
        var stage = StageOf(data[0]) ?? throw new MilterProtocolException($"{Command}: unknown stage 0x{data[0]:x2}");
        var s = new CStrings(data[1..], Command);
        while (!s.IsEmpty)
        {
            string name = CStrings.Decode(s.Next("macro name"));
            if (s.IsEmpty)
                throw new MilterProtocolException($"{Command}: macro \"{name}\" without a value (odd number of strings)");
            // The error text names the macro, so it is built only on error (this runs for every macro).
            if (!s.TryNext(out var valueBytes))
                throw new MilterProtocolException($"{Command}: value of macro \"{name}\" is not NUL-terminated");
            string value = CStrings.Decode(valueBytes);
            pairs.Add(new(name, value));
        }
        return stage;
    }

    public static MacroStage? StageOf(byte command) => command switch
    {
        (byte)'C' => MacroStage.Connect,
        (byte)'H' => MacroStage.Helo,
        (byte)'M' => MacroStage.MailFrom,
        (byte)'R' => MacroStage.Recipient,
        (byte)'T' => MacroStage.Data,
        (byte)'N' => MacroStage.EndOfHeaders,
        (byte)'E' => MacroStage.EndOfMessage,
        (byte)'L' => MacroStage.Header,
        (byte)'B' => MacroStage.Body,
        (byte)'U' => MacroStage.Unknown,
        _ => null,
    };
}
