// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Governance.Ceremonies;
using Xunit;

namespace KeyCustody.Governance.Tests.Ceremonies;

public sealed class BreakGlassGrantTests
{
    private static readonly DateTimeOffset s_now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static BreakGlassGrant Grant(int count = 2) =>
        BreakGlassGrant.Create("release", "cer-bg", s_now, count, TimeSpan.FromHours(1), TimeSpan.FromHours(4));

    [Fact]
    public void Consume_UpToCount_ThenRateLimited()
    {
        // Arrange
        BreakGlassGrant grant = Grant();

        // Act
        BreakGlassGrant used = grant.Consume(s_now).Consume(s_now.AddMinutes(1));
        var ex = Assert.Throws<CustodyException>(() => used.Consume(s_now.AddMinutes(2)));

        // Assert
        Assert.Equal(2, used.Used);
        Assert.False(used.CanSign(s_now.AddMinutes(2)));
        Assert.Equal(CustodyStatus.RateLimited, ex.Status);
    }

    [Fact]
    public void Consume_AfterDuration_Expired()
    {
        // Arrange
        BreakGlassGrant grant = Grant();

        // Act
        var ex = Assert.Throws<CustodyException>(() => grant.Consume(s_now.AddHours(1)));

        // Assert
        Assert.Equal(CustodyStatus.Expired, ex.Status);
        Assert.True(grant.CanSign(s_now.AddMinutes(59)));
    }

    [Fact]
    public void ReviewOverdue_OnlyUnreviewedPastDeadline()
    {
        // Arrange
        BreakGlassGrant grant = Grant();
        BreakGlassGrant reviewed = grant with { ReviewedBy = "cer-review" };

        // Act / Assert
        Assert.False(grant.ReviewOverdue(s_now.AddHours(4).AddSeconds(-1)));
        Assert.True(grant.ReviewOverdue(s_now.AddHours(4)));
        Assert.False(reviewed.ReviewOverdue(s_now.AddDays(10)));
        Assert.False(reviewed.CanSign(s_now));
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(101, 1, 2)]
    [InlineData(1, 25, 26)]
    [InlineData(1, 2, 1)]
    [InlineData(1, 1, 24 * 31)]
    public void Create_OutOfRange_InvalidArgument(int count, int hours, int reviewHours)
    {
        // Arrange / Act
        var ex = Assert.Throws<CustodyException>(() =>
            BreakGlassGrant.Create("k", "cer", s_now, count, TimeSpan.FromHours(hours), TimeSpan.FromHours(reviewHours)));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
    }

    [Fact]
    public void ToJson_RoundTrip_Equal()
    {
        // Arrange
        BreakGlassGrant grant = Grant().Consume(s_now);

        // Act
        BreakGlassGrant back = BreakGlassGrant.FromJson(grant.ToJson());

        // Assert
        Assert.Equal(grant, back);
    }
}
