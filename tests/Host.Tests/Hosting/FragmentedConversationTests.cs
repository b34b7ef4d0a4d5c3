using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Milters.Abstractions;
using Milters.Host.Hosting;
using Milters.Host.Milter;
using Milters.Host.Pipeline;
using Milters.Host.Tests.Milter;
using Milters.Testing;
using Milters.Testing.Milter;
using Milters.Testing.Peers;
using static Milters.Testing.Milter.MilterFrames;

namespace Milters.Host.Tests.Hosting;

/// <summary>
/// Whole conversations through the real listener and connection handler, from a client that splits its bytes
/// anywhere (one byte … everything at once), pauses at random, sometimes pipelines every command without
/// waiting for replies, and sometimes vanishes mid-frame (FIN or RST). The event loops read a raw descriptor
/// until EAGAIN and arm one-shot; .NET's sockets complete reads their own way: under both every byte must
/// reach the session in order. So each finished message must come back with a digest header equal to the
/// client's own SHA-256 of what it sent, every other command with exactly its one reply, and every
/// conversation — finished or abandoned — must end with its filter disposed and no error logged.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FragmentedConversationTests : IDisposable
{
    private const string DigestHeader = "X-Fragment-Digest";
    private static readonly int Seed = RandomSeed.Or(6);
    private readonly TempDir dir = new("frag");
    private readonly LogCapture logs = new();
    private readonly DigestPlugin plugin = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(0, "inet")]
    [InlineData(2, "inet")]
    [InlineData(0, "unix")]
    [InlineData(2, "unix")]
    public async Task Every_byte_reaches_the_session_however_the_client_splits_and_paces_its_writes(int eventLoops, string kind)
    {
        var spec = kind == "unix" ? SocketSpec.Parse("unix:" + Path.Combine(dir.Path, "milter.sock")) : new SocketSpec(SocketKind.Inet, "127.0.0.1", 0, null, "inet:0@127.0.0.1");
        var handler = new MilterConnectionHandler(new FixedPlugins(plugin), new ConfigurationBuilder().Build(), logs);
        var services = new ServiceCollection().AddSingleton<IMilterConnectionHandler>(handler).BuildServiceProvider();
        var options = new ListenOptions(spec, (UnixFileMode)0x1B0, ClientAllowList.LoopbackOnly, 64, TimeSpan.FromSeconds(10)) { EventLoops = eventLoops };
        var listener = new MilterListener(options, services, logs.CreateLogger<MilterListener>());
        listener.Bind();
        await listener.StartAsync(CancellationToken.None);
        try
        {
            var random = new Random(Seed + eventLoops * 10 + kind.Length);
            var conversations = Enumerable.Range(0, 40).Select(_ => Conversation.Make(new Random(random.Next()))).ToList();
            using var gate = new SemaphoreSlim(8);
            var runs = conversations.Select(async c =>
            {
                await gate.WaitAsync();
                try { return await c.RunAsync(listener.LocalEndPoint!); }
                finally { gate.Release(); }
            }).ToList();
            var outcomes = await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(90));

            for (int i = 0; i < conversations.Count; i++)
                Assert.True(outcomes[i] is null, $"conversation {i} ({conversations[i]}), seed {Seed} ({RandomSeed.EnvironmentVariable}): {outcomes[i]}");
            Assert.Contains(conversations, c => c.VanishesAt is null && c.Pipelined);
            Assert.Contains(conversations, c => c.VanishesAt is null && !c.Pipelined);
            Assert.Contains(conversations, c => c.VanishesAt is not null);

            // Abandoned conversations end too: their filters are disposed and the listener forgets them.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((Volatile.Read(ref plugin.Disposed) != Volatile.Read(ref plugin.Created) || listener.ActiveConnections != 0) && DateTime.UtcNow < deadline)
                await Task.Delay(20);
            Assert.Equal(conversations.Count, plugin.Created);
            Assert.Equal(plugin.Created, plugin.Disposed);
            Assert.Equal(0, listener.ActiveConnections);
            // A message whose end of message was written before its client vanished may or may not be digested
            // (a reset can overtake the bytes before it); every other finished message must be, once.
            int finished = conversations.Sum(c => c.VanishesAt is null ? c.Messages.Count(m => !m.Aborted) : 0);
            Assert.InRange(plugin.MessagesDigested, finished, finished + conversations.Sum(c => c.DigestsBeforeVanishing));
            Assert.Empty(logs.AtLeast(LogLevel.Error));
        }
        finally
        {
            await listener.StopAsync(CancellationToken.None);
            listener.Dispose();
        }
    }

    private sealed class FixedPlugins(IMilterPlugin plugin) : IPluginSetProvider
    {
        public PluginSet Current { get; } = new([new LoadedPlugin(plugin.Name, plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider());
    }

    /// <summary>Adds the SHA-256 of every header field ("name:raw value CRLF"), a CRLF, and the body, as the session handed them over.</summary>
    private sealed class DigestPlugin : IMilterPlugin
    {
        public int Created, Disposed, MessagesDigested;

        public string Name => "digest";

        public PluginNeeds Needs => PluginNeeds.Headers | PluginNeeds.Body | PluginNeeds.AddHeaders;

        public void ConfigureServices(IServiceCollection services, IConfiguration section) { }

        public MessageFilter CreateFilter(IServiceProvider services)
        {
            Interlocked.Increment(ref Created);
            return new Filter(this);
        }

        private sealed class Filter(DigestPlugin owner) : MessageFilter
        {
            private IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            private bool bodyStarted;

            public override ValueTask<Verdict> HeaderAsync(IMessageContext context, HeaderField header)
            {
                hash.AppendData(Encoding.ASCII.GetBytes(header.Name + ":"));
                hash.AppendData(header.RawValue.Span);
                hash.AppendData("\r\n"u8);
                return Verdict.ContinueTask;
            }

            public override ValueTask<Verdict> BodyChunkAsync(IMessageContext context, ReadOnlyMemory<byte> chunk)
            {
                StartBody();
                hash.AppendData(chunk.Span);
                return Verdict.ContinueTask;
            }

            public override ValueTask<Verdict> EndOfMessageAsync(IMessageContext context)
            {
                StartBody();
                context.Edits.AddHeader(DigestHeader, Convert.ToHexStringLower(hash.GetHashAndReset()));
                bodyStarted = false;
                Interlocked.Increment(ref owner.MessagesDigested);
                return Verdict.ContinueTask;
            }

            public override ValueTask AbortAsync(IMessageContext context)
            {
                hash.GetHashAndReset();
                bodyStarted = false;
                return ValueTask.CompletedTask;
            }

            public override ValueTask DisposeAsync()
            {
                hash.Dispose();
                Interlocked.Increment(ref owner.Disposed);
                return base.DisposeAsync();
            }

            private void StartBody()
            {
                if (bodyStarted) return;
                hash.AppendData("\r\n"u8);
                bodyStarted = true;
            }
        }
    }

    /// <summary>One command frame the client writes and the reply letters it must get for it (none for macros, abort and quit).</summary>
    private sealed record Frame(byte[] Bytes, string Replies, string? DigestExpected = null);

    private sealed record Message(bool Aborted);

    /// <summary>A whole milter conversation, planned up front, and how the client will deliver it.</summary>
    private sealed class Conversation
    {
        private readonly Random random;

        private Conversation(Random random) => this.random = random;

        public List<Frame> Frames { get; } = new();

        public List<Message> Messages { get; } = new();

        public bool Pipelined { get; private set; }

        /// <summary>Byte offset after which the client disappears; null when it finishes with QUIT.</summary>
        public int? VanishesAt { get; private set; }

        public bool Resets { get; private set; }

        /// <summary>Messages whose end of message was written in full before the client vanished (the session may digest them).</summary>
        public int DigestsBeforeVanishing { get; private set; }

        public override string ToString() =>
            $"{Messages.Count} message(s), {Frames.Sum(f => f.Bytes.Length):N0} bytes, {(Pipelined ? "pipelined" : "lock-step")}"
            + (VanishesAt is { } v ? $", vanishing by {(Resets ? "RST" : "FIN")} after byte {v:N0}" : "");

        public static Conversation Make(Random random)
        {
            var c = new Conversation(random) { Pipelined = random.Next(3) == 0 };
            // Version 6, every action, and of the protocol flags only SMFIP_HDR_LEADSPC: nothing can be left out or go unanswered.
            c.Add('O', [.. U32(6), .. U32(0x1ff), .. U32(0x100000)], "O");
            c.Add('D', [(byte)'C', .. Cstr("j"), .. Cstr("mx.example.net")], "");
            c.Add('C', [.. Cstr("client.example.org"), (byte)'4', 0x1f, 0x90, .. Cstr("192.0.2." + random.Next(1, 255))], "c");
            c.Add('H', Cstr("client.example.org"), "c");
            int messages = random.Next(1, 4);
            for (int m = 0; m < messages; m++) c.AddMessage();
            c.Add('Q', [], "");
            if (random.Next(5) == 0)
            {
                int total = c.Frames.Sum(f => f.Bytes.Length);
                c.VanishesAt = random.Next(1, total - 5); // before QUIT: always mid-conversation
                c.Resets = random.Next(2) == 0;
                int end = 0;
                foreach (var f in c.Frames)
                {
                    end += f.Bytes.Length;
                    if (end > c.VanishesAt) break;
                    if (f.DigestExpected is not null) c.DigestsBeforeVanishing++;
                }
            }
            return c;
        }

        private void AddMessage()
        {
            using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Add('M', Cstr($"<sender{random.Next(1000)}@example.org>"), "c");
            for (int r = random.Next(1, 4); r > 0; r--) Add('R', Cstr($"<rcpt{r}@example.net>"), "c");
            Add('T', [], "c");
            int headers = random.Next(1, 25);
            bool abort = random.Next(8) == 0;
            for (int h = 0; h < headers; h++)
            {
                var name = $"X-Field-{h}";
                var value = " " + Text(random.Next(0, 300));
                if (random.Next(4) == 0) value += "\r\n\t" + Text(random.Next(1, 80));
                Add('L', [.. Cstr(name), .. Cstr(value)], "c");
                digest.AppendData(Encoding.ASCII.GetBytes($"{name}:{value}\r\n"));
                if (abort && h == headers / 2)
                {
                    Add('A', [], "");
                    Messages.Add(new Message(Aborted: true));
                    return;
                }
            }
            Add('N', [], "c");
            digest.AppendData("\r\n"u8);
            int size = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 2_000), 2 => random.Next(2_000, 70_000), _ => random.Next(70_000, 300_000) };
            var body = new byte[size];
            for (int i = 0; i < size; i++) body[i] = (i % 78 == 77) ? (byte)'\n' : (i % 78 == 76) ? (byte)'\r' : (byte)random.Next(32, 127);
            digest.AppendData(body);
            for (int at = 0; at < size;)
            {
                int chunk = Math.Min(size - at, random.Next(2) == 0 ? 65535 : random.Next(1, 65536));
                Add('B', body.AsSpan(at, chunk).ToArray(), "c");
                at += chunk;
            }
            Add('E', [], "hc", Convert.ToHexStringLower(digest.GetHashAndReset()));
            Messages.Add(new Message(Aborted: false));
        }

        private string Text(int length)
        {
            var chars = new char[length];
            for (int i = 0; i < length; i++) chars[i] = (char)random.Next(33, 127);
            return new string(chars);
        }

        private void Add(char command, byte[] data, string replies, string? digest = null) => Frames.Add(new Frame(MilterFrames.Frame(command, data), replies, digest));

        /// <summary>Runs the conversation; null when every reply was as expected, else what went wrong.</summary>
        public async Task<string?> RunAsync(EndPoint server)
        {
            using var socket = server is UnixDomainSocketEndPoint
                ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(server);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var reader = new RawReplyReader(socket, timeout.Token);
            int written = 0;
            try
            {
                if (Pipelined)
                {
                    var all = Frames.SelectMany(f => f.Bytes).ToArray();
                    var replies = VanishesAt is null ? reader.ReadAllAsync() : null;
                    if (!await WriteInPiecesAsync(socket, all, 0, timeout.Token)) return null;
                    return replies is null ? null : Check(await replies);
                }

                var received = new List<(char Letter, byte[] Data)>();
                foreach (var frame in Frames)
                {
                    if (!await WriteInPiecesAsync(socket, frame.Bytes, written, timeout.Token)) return null;
                    written += frame.Bytes.Length;
                    for (int i = 0; i < frame.Replies.Length; i++)
                        received.Add(await reader.NextAsync() ?? throw new InvalidDataException($"connection closed after {received.Count} replies"));
                }
                if (await reader.NextAsync() is { } extra) return $"a reply after QUIT: '{extra.Letter}'";
                return Check(received);
            }
            catch (Exception e) when (e is InvalidDataException or SocketException or OperationCanceledException)
            {
                return e.Message;
            }
        }

        /// <summary>Writes bytes in random pieces with random pauses; false when the client vanished on the way (planned).</summary>
        private async Task<bool> WriteInPiecesAsync(Socket socket, byte[] bytes, int offsetInConversation, CancellationToken ct)
        {
            for (int at = 0; at < bytes.Length;)
            {
                int piece = random.Next(4) switch
                {
                    0 => random.Next(1, 9),
                    1 => random.Next(1, 513),
                    2 => random.Next(1, 16_385),
                    _ => bytes.Length - at,
                };
                piece = Math.Min(piece, bytes.Length - at);
                if (VanishesAt is { } vanish && offsetInConversation + at + piece >= vanish)
                {
                    await socket.SendAsync(bytes.AsMemory(at, vanish - offsetInConversation - at), SocketFlags.None, ct);
                    if (Resets) socket.LingerState = new LingerOption(true, 0);
                    else socket.Shutdown(SocketShutdown.Send);
                    socket.Close();
                    return false;
                }
                await socket.SendAsync(bytes.AsMemory(at, piece), SocketFlags.None, ct);
                at += piece;
                switch (random.Next(20))
                {
                    case 0: await Task.Delay(random.Next(1, 4), ct); break;
                    case 1 or 2: await Task.Yield(); break;
                }
            }
            return true;
        }

        private string? Check(List<(char Letter, byte[] Data)> received)
        {
            int next = 0;
            foreach (var frame in Frames)
            {
                foreach (var expected in frame.Replies)
                {
                    if (next >= received.Count) return $"{received.Count} replies, more expected";
                    var (letter, data) = received[next++];
                    if (letter != expected) return $"reply {next}: '{letter}' where '{expected}' was due (after command '{(char)frame.Bytes[4]}')";
                    if (letter == 'O' && data.Length != 12) return $"option negotiation reply of {data.Length} bytes";
                    if (letter == 'h')
                    {
                        var text = Encoding.ASCII.GetString(data).Split('\0');
                        if (text[0] != DigestHeader || text[1].Trim() != frame.DigestExpected)
                            return $"reply {next}: header {text[0]}:{text[1]}, expected the digest {frame.DigestExpected}";
                    }
                }
            }
            return next == received.Count ? null : $"{received.Count - next} replies more than commands that want one";
        }
    }
}
