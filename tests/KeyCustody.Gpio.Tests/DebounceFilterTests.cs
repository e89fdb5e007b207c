// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Gpio.Tests;

public class DebounceFilterTests
{
    private static readonly TimeSpan s_window = TimeSpan.FromMilliseconds(30);

    private static RawEdge Down(double ms) => new(TimeSpan.FromMilliseconds(ms), IsDown: true);

    private static RawEdge Up(double ms) => new(TimeSpan.FromMilliseconds(ms), IsDown: false);

    /// <summary>Feeds edges, settles at the end, and returns every press the filter reported.</summary>
    private static List<DebouncedPress> Run(DebounceFilter filter, params RawEdge[] edges)
    {
        var presses = new List<DebouncedPress>();
        foreach (RawEdge edge in edges)
        {
            if (filter.Push(edge, out DebouncedPress press))
            {
                presses.Add(press);
            }
        }

        if (filter.Settle(out DebouncedPress last))
        {
            presses.Add(last);
        }

        return presses;
    }

    [Fact]
    public void Push_CleanPressThenSettle_ReportsDownTimeAndDuration()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);

        // Act
        List<DebouncedPress> presses = Run(filter, Down(1000), Up(1180));

        // Assert
        DebouncedPress press = Assert.Single(presses);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), press.DownAt);
        Assert.Equal(TimeSpan.FromMilliseconds(180), press.Duration);
        Assert.False(filter.IsPressed);
    }

    [Fact]
    public void Push_BounceOnTheWayDown_ReportsOnePressFromFirstDownEdge()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);

        // Act: the contact chatters for 6 ms before it stays closed.
        List<DebouncedPress> presses = Run(filter, Down(0), Up(1), Down(2.5), Up(4), Down(6), Up(250));

        // Assert
        DebouncedPress press = Assert.Single(presses);
        Assert.Equal(TimeSpan.Zero, press.DownAt);
        Assert.Equal(TimeSpan.FromMilliseconds(250), press.Duration);
    }

    [Fact]
    public void Push_BounceOnTheWayUp_ReportsOnePressToLastUpEdge()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);

        // Act
        List<DebouncedPress> presses = Run(filter, Down(0), Up(300), Down(302), Up(305), Down(311), Up(318));

        // Assert
        DebouncedPress press = Assert.Single(presses);
        Assert.Equal(TimeSpan.FromMilliseconds(318), press.Duration);
    }

    [Fact]
    public void Settle_PressShorterThanWindow_DroppedAsNoise()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);

        // Act: a 3 ms spike, e.g. interference on a long wire.
        List<DebouncedPress> presses = Run(filter, Down(100), Up(103));

        // Assert
        Assert.Empty(presses);
        Assert.False(filter.IsPressed);
    }

    [Fact]
    public void Push_DownEdgeAfterQuietRelease_CompletesPreviousPressWithoutSettle()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);
        filter.Push(Down(0), out _);
        filter.Push(Up(200), out _);

        // Act: the next press begins 500 ms later, before the caller got round to Settle.
        bool completed = filter.Push(Down(700), out DebouncedPress press);

        // Assert
        Assert.True(completed);
        Assert.Equal(TimeSpan.FromMilliseconds(200), press.Duration);
        Assert.True(filter.IsPressed);
        Assert.False(filter.IsSettling);
    }

    [Fact]
    public void Push_TwoSeparatePresses_ReportsBothInOrder()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);

        // Act
        List<DebouncedPress> presses = Run(filter, Down(0), Up(150), Down(1000), Up(3500));

        // Assert
        Assert.Equal(2, presses.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(150), presses[0].Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), presses[1].DownAt);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), presses[1].Duration);
    }

    [Fact]
    public void Push_UpEdgeWithoutDown_Ignored()
    {
        // Arrange: the reader started while the button was already held.
        var filter = new DebounceFilter(s_window);

        // Act
        List<DebouncedPress> presses = Run(filter, Up(50));

        // Assert
        Assert.Empty(presses);
        Assert.False(filter.IsPressed);
    }

    [Fact]
    public void Push_RepeatedDownEdges_KeepFirstDownTime()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);

        // Act
        List<DebouncedPress> presses = Run(filter, Down(10), Down(60), Down(90), Up(210));

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(200), Assert.Single(presses).Duration);
    }

    [Fact]
    public void Push_RepeatedUpEdgesWhileReleasing_KeepFirstUpTime()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);

        // Act
        List<DebouncedPress> presses = Run(filter, Down(0), Up(100), Up(120));

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(100), Assert.Single(presses).Duration);
    }

    [Fact]
    public void Reset_DuringPress_ForgetsIt()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);
        filter.Push(Down(0), out _);

        // Act: events were lost; the up edge that follows has no known down edge.
        filter.Reset();
        List<DebouncedPress> presses = Run(filter, Up(400));

        // Assert
        Assert.Empty(presses);
    }

    [Fact]
    public void Settle_NothingPending_ReturnsFalse()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);
        filter.Push(Down(0), out _);

        // Act
        bool settled = filter.Settle(out _);

        // Assert: still held, nothing to confirm.
        Assert.False(settled);
        Assert.True(filter.IsPressed);
    }

    [Fact]
    public void IsSettling_AfterUpEdge_TrueUntilSettled()
    {
        // Arrange
        var filter = new DebounceFilter(s_window);
        filter.Push(Down(0), out _);

        // Act
        filter.Push(Up(100), out _);
        bool settlingBefore = filter.IsSettling;
        filter.Settle(out _);

        // Assert
        Assert.True(settlingBefore);
        Assert.False(filter.IsSettling);
    }

    [Fact]
    public void Constructor_ZeroWindow_ReportsEveryNonEmptyPress()
    {
        // Arrange
        var filter = new DebounceFilter(TimeSpan.Zero);

        // Act
        List<DebouncedPress> presses = Run(filter, Down(0), Up(1), Down(1.5), Up(2));

        // Assert
        Assert.Equal(2, presses.Count);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public void Constructor_WindowOutOfRange_Throws(int milliseconds)
    {
        // Arrange
        TimeSpan window = TimeSpan.FromMilliseconds(milliseconds);

        // Act
        Action create = () => _ = new DebounceFilter(window);

        // Assert
        Assert.Throws<ArgumentOutOfRangeException>(create);
    }
}
