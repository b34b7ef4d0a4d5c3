using System.Buffers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Milter;
using Milters.Host.Milter.Protocol;
using Milters.Host.Milter.Session;
using Milters.Host.Pipeline;
using Milters.Host.Tests.Milter;
using Milters.Testing.Milter;
using Milters.Testing.Peers;

namespace Milters.Host.Tests.Regressions;

/// <summary>
/// The committed fuzz corpora (fuzz/corpus/milter-*) replayed once through the frame codec, the payload
/// parsers and a whole session, so what the fuzzers found stays fixed: the only exception bad bytes may
/// raise is <see cref="MilterProtocolException"/>, and a session never logs an internal error.
/// </summary>
public class FuzzCorpusReplayTests
{
    private static IReadOnlyList<string> Corpus(string target)
    {
        var dir = Path.Combine(RepoPaths.Root, "fuzz", "corpus", target);
        var files = Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        return files;
    }

    [Fact]
    public void Frame_corpus_raises_only_protocol_errors()
    {
        int frames = 0, payloadsAccepted = 0;
        foreach (var file in Corpus("milter-frames"))
        {
            var buffer = new ReadOnlySequence<byte>(File.ReadAllBytes(file));
            while (true)
            {
                MilterFrame frame;
                try
                {
                    if (!MilterFrameReader.TryRead(ref buffer, MilterLimits.DefaultMaxFrameSize, out frame)) break;
                }
                catch (MilterProtocolException)
                {
                    break;
                }
                frames++;
                try
                {
                    ParsePayload(frame);
                    payloadsAccepted++;
                }
                catch (MilterProtocolException)
                {
                }
            }
        }
        // The seeds hold every valid command of tests/data/milter/vectors.json.
        Assert.True(payloadsAccepted >= 50, $"{payloadsAccepted} of {frames} frames accepted");
    }

    private static void ParsePayload(MilterFrame frame)
    {
        ReadOnlySpan<byte> data = frame.Data.ToArray();
        switch (frame.Command)
        {
            case MilterCommand.OptionNegotiation: OptionNegotiation.Parse(data); break;
            case MilterCommand.Macro: MacroPayload.Parse(data, new List<KeyValuePair<string, string>>()); break;
            case MilterCommand.Connect: ConnectPayload.Parse(data); break;
            case MilterCommand.Helo: SimplePayloads.ParseHelo(data); break;
            case MilterCommand.Mail: EnvelopePayload.Parse(data, "SMFIC_MAIL", new List<string>()); break;
            case MilterCommand.Recipient: EnvelopePayload.Parse(data, "SMFIC_RCPT", new List<string>()); break;
            case MilterCommand.Header:
                HeaderPayload.Parse(data, out var name, out var value);
                var field = new HeaderField(HeaderValues.Name(name), HeaderValues.FromMta(value, false));
                HeaderValues.ToMta(field.Value, false, new char[field.Value.Length]);
                break;
            case MilterCommand.Unknown: SimplePayloads.ParseUnknown(data); break;
            case MilterCommand.Abort or MilterCommand.Quit or MilterCommand.QuitNewConnection or MilterCommand.Data or MilterCommand.EndOfHeaders:
                SimplePayloads.ExpectEmpty(data, frame.Command);
                break;
        }
    }

    [Fact]
    public async Task Session_corpus_never_ends_in_an_internal_error()
    {
        var plugin = new ScriptedPlugin("All", PluginNeeds.Connect | PluginNeeds.Helo | PluginNeeds.MailFrom | PluginNeeds.Recipients
            | PluginNeeds.Data | PluginNeeds.Headers | PluginNeeds.EndOfHeaders | PluginNeeds.Body | PluginNeeds.Unknown
            | PluginNeeds.AddHeaders | PluginNeeds.ChangeHeaders | PluginNeeds.Quarantine);
        plugin.OnEndOfMessage = c =>
        {
            c.Edits.AddHeader("X-Replayed", " " + c.Headers.Count);
            return Verdict.Continue;
        };
        var logs = new LogCapture();
        var set = new PluginSet([new LoadedPlugin("All", plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider());
        var handler = new MilterConnectionHandler(new FixedPlugins(set), new ConfigurationBuilder().Build(), logs);

        var seedsEnded = 0;
        foreach (var file in Corpus("milter-session"))
        {
            var before = plugin.Events.Count(e => e == "eom");
            await using var connection = new ScriptedMtaStream(File.ReadAllBytes(file));
            await handler.HandleAsync(connection, Path.GetFileName(file), CancellationToken.None);
            Assert.Empty(logs.AtLeast(LogLevel.Error));
            if (Path.GetFileName(file).StartsWith("seed-", StringComparison.Ordinal) && plugin.Events.Count(e => e == "eom") > before)
                seedsEnded++;
        }
        // The seeds are whole Postfix-shaped conversations: each reaches end of message.
        Assert.True(seedsEnded >= 10, $"{seedsEnded} seed conversations reached end of message");
    }

    private sealed class FixedPlugins(PluginSet set) : IPluginSetProvider
    {
        public PluginSet Current => set;
    }
}
