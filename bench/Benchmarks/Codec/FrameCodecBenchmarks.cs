using System.Buffers;
using BenchmarkDotNet.Attributes;
using Milters.Abstractions;
using Milters.Host.Milter.Protocol;

namespace Milters.Benchmarks.Codec;

/// <summary>
/// The host's wire codec alone: split one whole MTA session (macros, connect, HELO, envelope, 8 headers,
/// body chunks, end of message) into frames and decode each payload; and encode an end-of-message answer
/// (one inserted header + accept). No sockets, no plugins.
/// </summary>
[MemoryDiagnoser]
public class FrameCodecBenchmarks
{
    private byte[] session = [];
    private readonly List<KeyValuePair<string, string>> macros = [];
    private readonly List<string> arguments = [];
    private readonly ArrayBufferWriter<byte> output = new(4096);
    private const string Signature = " a=rsa-sha1; q=dns; c=nofws; s=bench; d=example.com;\r\n\tb=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl=;";

    [Params(4 * 1024)]
    public int BodySize { get; set; }

    public int Frames { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        session = MtaStream.Build(BodySize, out int frames);
        Frames = frames;
        Console.WriteLine($"// session of {session.Length} bytes in {frames} frames");
    }

    /// <summary>All frames of one message session; divide by the frame count for per-frame cost.</summary>
    [Benchmark]
    public int DecodeSession()
    {
        var buffer = new ReadOnlySequence<byte>(session);
        int n = 0;
        while (MilterFrameReader.TryRead(ref buffer, MilterLimits.DefaultMaxFrameSize, out var frame))
        {
            var data = frame.Data.IsSingleSegment ? frame.Data.FirstSpan : frame.Data.ToArray();
            switch (frame.Command)
            {
                case MilterCommand.Macro:
                    macros.Clear();
                    MacroPayload.Parse(data, macros);
                    break;
                case MilterCommand.Connect:
                    ConnectPayload.Parse(data);
                    break;
                case MilterCommand.Helo:
                    SimplePayloads.ParseHelo(data);
                    break;
                case MilterCommand.Mail:
                case MilterCommand.Recipient:
                    arguments.Clear();
                    EnvelopePayload.Parse(data, "bench", arguments);
                    break;
                case MilterCommand.Header:
                    HeaderPayload.Parse(data, out var name, out var value);
                    n += name.Length + value.Length;
                    break;
            }
            n++;
        }
        return n;
    }

    [Benchmark]
    public int EncodeEndOfMessageReply()
    {
        output.ResetWrittenCount();
        MilterResponseWriter.WriteInsertHeader(output, 0, "DomainKey-Signature", Signature);
        MilterResponseWriter.WriteAccept(output);
        return output.WrittenCount;
    }
}
