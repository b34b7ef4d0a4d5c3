using System.Buffers;
using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Milters.Abstractions;
using Milters.Host.Milter.Session;
using Milters.Host.Pipeline;

namespace Milters.Host.Tests.Milter;

/// <summary>Body chunks go from the read buffer to the plugins and the reply into the buffer without allocating.</summary>
public class BodyPathAllocationTests
{
    private sealed class Hasher : IMilterPlugin
    {
        public long Sum;
        public string Name => "Hasher";
        public PluginNeeds Needs => PluginNeeds.Body | PluginNeeds.MailFrom | PluginNeeds.Recipients;
        public void ConfigureServices(IServiceCollection services, IConfiguration section) { }
        public MessageFilter CreateFilter(IServiceProvider services) => new Filter(this);

        private sealed class Filter(Hasher owner) : MessageFilter
        {
            public override ValueTask<Verdict> BodyChunkAsync(IMessageContext context, ReadOnlyMemory<byte> chunk)
            {
                owner.Sum += chunk.Span[0] + chunk.Length;
                return Verdict.ContinueTask;
            }
        }
    }

    private static ReadOnlySequence<byte> Frame(char command, ReadOnlySpan<byte> data) => SessionFrames.Frame(command, data);

    private static Task Send(MilterSession session, ReadOnlySequence<byte> bytes, ArrayBufferWriter<byte> replies) =>
        SessionFrames.SendAsync(session, bytes, replies);

    [Fact]
    public async Task A_thousand_body_chunks_allocate_nothing()
    {
        var plugin = new Hasher();
        var set = new PluginSet([new LoadedPlugin(plugin.Name, plugin, OnErrorAction.TempFail)], new ServiceCollection().BuildServiceProvider());
        await using var session = new MilterSession(set, (s, c) => new FilterChain(s, c, NullLogger.Instance), NullLogger.Instance);
        var replies = new ArrayBufferWriter<byte>(1024);
        await Send(session, Frame('O', Convert.FromHexString("00000006000001ff001fffff")), replies);
        await Send(session, Frame('C', System.Text.Encoding.Latin1.GetBytes("h\0" + "4\u0000\u0019" + "127.0.0.1\0")), replies);
        await Send(session, Frame('M', "<a@example.com>\0"u8), replies);
        await Send(session, Frame('R', "<b@example.org>\0"u8), replies);

        // One contiguous frame and one split over two segments (the copy path).
        var chunk = Frame('B', new byte[65535]);
        var bytes = chunk.ToArray();
        var split = Sequences.Split(bytes, 30000);
        for (int i = 0; i < 20; i++) // warm up: JIT, scratch buffer
        {
            replies.ResetWrittenCount();
            await Send(session, chunk, replies);
            await Send(session, split, replies);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++)
        {
            replies.ResetWrittenCount();
            await Send(session, chunk, replies);
            await Send(session, split, replies);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("c", System.Text.Encoding.ASCII.GetString(replies.WrittenSpan[4..5]));
        Assert.True(plugin.Sum > 0);
        // No buffer per chunk in any build (a copy would cost 64 KB a chunk). Where the compiler emits async
        // state machines as structs (optimized builds), nothing at all; debug builds box them per call.
        bool optimized = typeof(MilterSession).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled != true;
        long limit = optimized ? 1000 : 1000 * 2048;
        Assert.True(allocated < limit, $"{allocated} bytes allocated for 1000 body chunks (optimized build: {optimized})");
    }
}
