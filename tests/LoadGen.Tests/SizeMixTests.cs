using Milters.LoadGen.Messages;

namespace Milters.LoadGen.Tests;

public sealed class SizeMixTests
{
    [Fact]
    public void Parses_sizes_and_weights_and_prints_them_back()
    {
        var mix = SizeMix.Parse("1k:50, 4k:30,64k:15,1m:4,10m:1");
        Assert.Equal([(1024, 50), (4096, 30), (65536, 15), (1024 * 1024, 4), (10 * 1024 * 1024, 1)], mix.Classes);
        Assert.Equal("1k:50,4k:30,64k:15,1m:4,10m:1", mix.ToString());
        Assert.Equal([(4096, 1)], SizeMix.Parse("4kb").Classes);
        Assert.Equal([(3000, 1)], SizeMix.Parse("3000").Classes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("100")]      // under 256 bytes
    [InlineData("4k:0")]     // weight must be positive
    [InlineData("4x")]
    public void Rejects_what_is_not_a_size_mix(string text)
    {
        Assert.Throws<FormatException>(() => SizeMix.Parse(text));
    }

    [Fact]
    public void The_class_of_a_message_depends_only_on_seed_and_index_and_follows_the_weights()
    {
        var mix = SizeMix.Parse("1k:50,4k:30,64k:20");
        var counts = new int[3];
        for (long i = 0; i < 100_000; i++)
        {
            var c = mix.ClassOf(i, 42);
            Assert.Equal(c, mix.ClassOf(i, 42));
            counts[c]++;
        }
        Assert.InRange(counts[0], 49_000, 51_000);
        Assert.InRange(counts[1], 29_000, 31_000);
        Assert.InRange(counts[2], 19_000, 21_000);
        // Another seed, another sequence (same proportions).
        Assert.Contains(Enumerable.Range(0, 100), i => mix.ClassOf(i, 42) != mix.ClassOf(i, 43));
    }
}
