using Milters.LoadGen.Messages;

namespace Milters.LoadGen.Tests;

public sealed class MessageFactoryTests
{
    [Theory]
    [InlineData("1k")]
    [InlineData("4k")]
    [InlineData("1m")]
    public void A_message_has_the_size_asked_for(string size)
    {
        var factory = new MessageFactory(SizeMix.Parse(size), 1, "example.com");
        for (long i = 0; i < 20; i++)
        {
            var message = factory.Create(i);
            Assert.Equal(SizeMix.ParseSize(size), message.TotalBytes);
            Assert.Equal("alice@example.com", message.MailFrom);
            Assert.Contains(message.Headers, h => h.Name == "From" && h.Value.Contains("<alice@example.com>", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Messages_differ_by_index_and_repeat_by_seed()
    {
        var a = new MessageFactory(SizeMix.Parse("4k"), 7, "example.com");
        var b = new MessageFactory(SizeMix.Parse("4k"), 7, "example.com");
        Assert.NotEqual(Subject(a.Create(1)), Subject(a.Create(2)));
        Assert.Equal(Subject(a.Create(5)), Subject(b.Create(5)));
        Assert.NotEqual(a.Create(1).QueueId, a.Create(2).QueueId);
    }

    [Fact]
    public void Verify_traffic_repeats_the_one_signed_message_of_its_size_class()
    {
        var factory = new MessageFactory(SizeMix.Parse("4k"), 1, "example.com");
        var signature = new HeaderLine("DomainKey-Signature", "a=rsa-sha1; q=dns; c=simple; d=example.com; s=s; b=AAAA");
        factory.SetPrimedSignature(0, signature);
        var template = factory.Template(0);
        for (long i = 0; i < 5; i++)
        {
            var m = factory.Create(i);
            Assert.Equal(signature, m.Headers[0]);
            Assert.Equal(template.Headers, m.Headers.Skip(1));
            Assert.Equal(template.BodyLength, m.BodyLength);
        }
    }

    private static string Subject(TestMessage m) => m.Headers.Single(h => h.Name == "Subject").Value;
}
