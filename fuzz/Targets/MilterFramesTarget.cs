using System.Buffers;
using Milters.Abstractions;
using Milters.Host.Milter.Protocol;
using Milters.Host.Milter.Session;

namespace Milters.Fuzz;

/// <summary>
/// The frame codec and every payload parser: the input is a byte stream from the MTA, split into frames
/// as the connection handler does, each frame's payload given to its command's parser. The documented bad
/// input is <see cref="MilterProtocolException"/> (a bad frame length ends the stream, a bad payload only
/// that frame here, so later frames are still reached).
/// </summary>
public static class MilterFramesTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        var buffer = new ReadOnlySequence<byte>(input.ToArray());
        var pairs = new List<KeyValuePair<string, string>>();
        var arguments = new List<string>();
        while (true)
        {
            MilterFrame frame;
            try
            {
                if (!MilterFrameReader.TryRead(ref buffer, MilterLimits.DefaultMaxFrameSize, out frame)) return;
            }
            catch (MilterProtocolException)
            {
                return;
            }
            try
            {
                ParsePayload(frame, pairs, arguments);
            }
            catch (MilterProtocolException)
            {
            }
        }
    }

    private static void ParsePayload(MilterFrame frame, List<KeyValuePair<string, string>> pairs, List<string> arguments)
    {
        ReadOnlySpan<byte> data = frame.Data.IsSingleSegment ? frame.Data.FirstSpan : frame.Data.ToArray();
        switch (frame.Command)
        {
            case MilterCommand.OptionNegotiation:
                OptionNegotiation.Parse(data);
                break;
            case MilterCommand.Macro:
                pairs.Clear();
                MacroPayload.Parse(data, pairs);
                break;
            case MilterCommand.Connect:
                ConnectPayload.Parse(data);
                break;
            case MilterCommand.Helo:
                SimplePayloads.ParseHelo(data);
                break;
            case MilterCommand.Mail or MilterCommand.Recipient:
                arguments.Clear();
                EnvelopePayload.Parse(data, frame.Command == MilterCommand.Mail ? "SMFIC_MAIL" : "SMFIC_RCPT", arguments);
                break;
            case MilterCommand.Header:
                HeaderPayload.Parse(data, out var name, out var value);
                var field = new HeaderField(HeaderValues.Name(name), HeaderValues.FromMta(value, leadingSpaceKept: false));
                _ = field.Value;
                HeaderValues.ToMta(field.Value, leadingSpaceKept: false, new char[field.Value.Length]);
                break;
            case MilterCommand.Unknown:
                SimplePayloads.ParseUnknown(data);
                break;
            case MilterCommand.Abort or MilterCommand.Quit or MilterCommand.QuitNewConnection or MilterCommand.Data or MilterCommand.EndOfHeaders:
                SimplePayloads.ExpectEmpty(data, frame.Command);
                break;
            default:
                MilterCommands.Name(frame.Command);
                break;
        }
    }
}
