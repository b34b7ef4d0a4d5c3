using Milters.SenderId.Spf;

namespace Milters.SenderId.Tests.Filter;

/// <summary>sid-filter's -r table (sid-filter.8): which combinations reject, and whom the reply blames.</summary>
public sealed class RejectPolicyTests
{
    private const SpfResult P = SpfResult.Pass, F = SpfResult.Fail, N = SpfResult.Neutral, S = SpfResult.SoftFail;

    [Theory]
    // mode, sender-id, spf, expected blame (null = accept)
    [InlineData(RejectMode.Never, F, F, null)]
    [InlineData(RejectMode.BothFail, F, F, CheckName.Spf)]
    [InlineData(RejectMode.BothFail, F, P, null)]
    [InlineData(RejectMode.BothFail, N, F, null)]
    [InlineData(RejectMode.EitherFails, F, P, CheckName.SenderId)]
    [InlineData(RejectMode.EitherFails, P, F, CheckName.Spf)]
    [InlineData(RejectMode.EitherFails, S, N, null)]
    [InlineData(RejectMode.UnlessOnePasses, N, N, CheckName.Spf)]
    [InlineData(RejectMode.UnlessOnePasses, P, F, null)]
    [InlineData(RejectMode.UnlessBothPass, P, N, CheckName.Spf)]
    [InlineData(RejectMode.UnlessBothPass, N, P, CheckName.SenderId)]
    [InlineData(RejectMode.UnlessBothPass, P, P, null)]
    [InlineData(RejectMode.FailWithoutPass, F, N, CheckName.SenderId)]
    [InlineData(RejectMode.FailWithoutPass, F, P, null)]
    [InlineData(RejectMode.FailWithoutPass, N, F, CheckName.Spf)]
    [InlineData(RejectMode.FailWithoutPass, N, S, null)]
    public void Decide(RejectMode mode, SpfResult sid, SpfResult spf, CheckName? expected) =>
        Assert.Equal(expected, RejectPolicy.Decide(mode, sid, spf));

    [Fact]
    public void DefaultTextIsSidFilters() =>
        Assert.Equal("Rejected due to SPF policy for sender a@example.com",
            RejectPolicy.FormatText(null, CheckName.Spf, "a@example.com", "fail", "192.0.2.1"));

    [Fact]
    public void TemplateSubstitutesEveryToken() =>
        Assert.Equal("Sender-ID says fail (x) for a@example.com from 192.0.2.1: 100%",
            RejectPolicy.FormatText("%t says %e for %a from %i: 100%%", CheckName.SenderId, "a@example.com", "fail (x)", "192.0.2.1"));

    /// <summary>A '%' that starts no escape is text: "100% sure" lost "% " before.</summary>
    [Fact]
    public void APercentSignThatIsNoEscapeStays() =>
        Assert.Equal("100% sure, 50%",
            RejectPolicy.FormatText("100% sure, 50%", CheckName.SenderId, "a@example.com", "fail", "192.0.2.1"));
}
