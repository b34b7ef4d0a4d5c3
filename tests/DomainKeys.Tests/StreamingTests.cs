using Milters.Abstractions;
using Milters.DomainKeys.Tests.Support;
using Milters.Testing.Dns;

namespace Milters.DomainKeys.Tests;

/// <summary>Memory per message does not grow with the body: chunks are hashed and dropped.</summary>
public sealed class StreamingTests
{
    [Fact]
    public async Task A_large_body_is_signed_without_holding_it()
    {
        var (key, record) = TestKeyTable.NewKey("example.com", "big");
        var dns = new InMemoryDnsResolver().AddTxt("big._domainkey.example.com", TestData.SplitIntoStrings(record));
        foreach (var canon in new[] { "simple", "nofws" })
        {
            var filter = FilterFactory.Create(dns, new TestKeyTable().Add("*@example.com", key), new() { ["Canonicalization"] = canon });
            var context = TestContext.Internal();
            await filter.MailFromAsync(context);
            context.HeaderList.Add(new HeaderField("From", " a@example.com"u8.ToArray()));
            await filter.EndOfHeadersAsync(context);

            // 64 KB chunks of text lines and blank-line runs, 32 MB in all (SMTP milter chunks are at most 64 KB).
            var chunk = new byte[65536];
            for (var i = 0; i < chunk.Length; i++) chunk[i] = (byte)(i % 64 == 62 ? '\r' : i % 64 == 63 ? '\n' : i % 1024 < 128 ? '\r' : 'x');
            for (var i = 0; i < chunk.Length; i += 2) if (chunk[i] == '\r' && i % 1024 < 128) chunk[i + 1] = (byte)'\n';
            await filter.BodyChunkAsync(context, chunk); // warm-up: first-call allocations (JIT, hash state)
            var before = GC.GetAllocatedBytesForCurrentThread();
            var skipped = 0;
            for (var n = 1; n < 512; n++)
                if ((await filter.BodyChunkAsync(context, chunk)).Kind != VerdictKind.Continue) skipped++;
            var perChunk = (GC.GetAllocatedBytesForCurrentThread() - before) / 511;
            Assert.Equal(0, skipped);
            // 32 MB went through: no chunk (64 KB) and no line was copied; what is allocated is call bookkeeping.
            Assert.True(perChunk < 2048, $"{canon}: {perChunk} bytes allocated per 64 KB chunk");
            await filter.EndOfMessageAsync(context);
            Assert.Single(context.EditList.Queued);
        }
    }
}
