// SPDX-License-Identifier: Apache-2.0
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class TimeWindowTests
{
    private static readonly TimeZoneInfo s_berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo s_newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly DayOfWeek[] s_weekdays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];

    private static TimeWindow Window(TimeZoneInfo zone, string from, string to, params DayOfWeek[] days) =>
        new(days.Length == 0 ? s_weekdays : days, TimeSpan.Parse(from, System.Globalization.CultureInfo.InvariantCulture),
            to == "24:00" ? TimeSpan.FromDays(1) : TimeSpan.Parse(to, System.Globalization.CultureInfo.InvariantCulture), zone);

    [Theory]
    // Winter (CET, UTC+1): 09:00 Berlin = 08:00Z.
    [InlineData("2025-01-15T07:59:59Z", false)]
    [InlineData("2025-01-15T08:00:00Z", true)]
    [InlineData("2025-01-15T15:59:59Z", true)]
    [InlineData("2025-01-15T16:00:00Z", false)]
    // Summer (CEST, UTC+2): 09:00 Berlin = 07:00Z.
    [InlineData("2025-07-16T07:00:00Z", true)]
    [InlineData("2025-07-16T06:59:59Z", false)]
    [InlineData("2025-07-16T15:00:00Z", false)]
    // Saturday is not listed.
    [InlineData("2025-07-19T10:00:00Z", false)]
    public void Contains_BerlinOfficeHours_FollowsDst(string instant, bool expected)
    {
        // Arrange
        TimeWindow window = Window(s_berlin, "09:00", "17:00");

        // Act
        bool inside = window.Contains(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal(expected, inside);
    }

    [Theory]
    // 2025-03-30 is the spring-forward Sunday in Berlin: 02:00 CET jumps to 03:00 CEST (01:00Z).
    [InlineData("2025-03-30T00:59:59Z", false)] // 01:59:59 CET
    [InlineData("2025-03-30T01:00:00Z", true)]  // 03:00:00 CEST
    [InlineData("2025-03-30T01:59:59Z", true)]  // 03:59:59 CEST
    [InlineData("2025-03-30T02:00:00Z", false)] // 04:00:00 CEST
    public void Contains_WindowOnSpringForwardNight_UsesWallClock(string instant, bool expected)
    {
        // Arrange: Sunday 03:00-04:00 local, the hour right after the gap.
        TimeWindow window = Window(s_berlin, "03:00", "04:00", DayOfWeek.Sunday);

        // Act
        bool inside = window.Contains(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal(expected, inside);
    }

    [Theory]
    // 2025-10-26: Berlin falls back 03:00 CEST -> 02:00 CET, so local 02:00-03:00 happens twice (00:00Z-02:00Z).
    [InlineData("2025-10-26T00:00:00Z", true)]  // 02:00 CEST, first pass
    [InlineData("2025-10-26T00:59:59Z", true)]
    [InlineData("2025-10-26T01:00:00Z", true)]  // 02:00 CET, second pass
    [InlineData("2025-10-26T01:59:59Z", true)]
    [InlineData("2025-10-26T02:00:00Z", false)] // 03:00 CET
    public void Contains_RepeatedHourOnFallBack_BothPassesInside(string instant, bool expected)
    {
        // Arrange
        TimeWindow window = Window(s_berlin, "02:00", "03:00", DayOfWeek.Sunday);

        // Act
        bool inside = window.Contains(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal(expected, inside);
    }

    [Theory]
    // Friday 22:00 - Saturday 06:00 New York time (EDT in June, UTC-4).
    [InlineData("2025-06-13T01:59:59Z", false)] // Thu 21:59:59
    [InlineData("2025-06-14T02:00:00Z", true)]  // Fri 22:00
    [InlineData("2025-06-14T09:59:59Z", true)]  // Sat 05:59:59
    [InlineData("2025-06-14T10:00:00Z", false)] // Sat 06:00
    [InlineData("2025-06-13T09:00:00Z", false)] // Fri 05:00: the morning part belongs to Thursday's window, not listed
    public void Contains_OvernightWindow_SpillsIntoNextDay(string instant, bool expected)
    {
        // Arrange
        TimeWindow window = Window(s_newYork, "22:00", "06:00", DayOfWeek.Friday);

        // Act
        bool inside = window.Contains(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal(expected, inside);
    }

    [Fact]
    public void Contains_SameInstantDifferentZones_DifferentAnswers()
    {
        // Arrange: Wednesday 2025-01-15 16:30Z is 17:30 in Berlin but 11:30 in New York.
        var instant = new DateTimeOffset(2025, 1, 15, 16, 30, 0, TimeSpan.Zero);

        // Act
        bool berlin = Window(s_berlin, "09:00", "17:00").Contains(instant);
        bool newYork = Window(s_newYork, "09:00", "17:00").Contains(instant);

        // Assert
        Assert.False(berlin);
        Assert.True(newYork);
    }

    [Fact]
    public void Contains_UntilMidnight_IncludesLastSecond()
    {
        // Arrange
        TimeWindow window = Window(TimeZoneInfo.Utc, "18:00", "24:00", DayOfWeek.Wednesday);

        // Act & Assert
        Assert.True(window.Contains(new DateTimeOffset(2025, 1, 15, 23, 59, 59, TimeSpan.Zero)));
        Assert.False(window.Contains(new DateTimeOffset(2025, 1, 16, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void ToString_DescribesWindow()
    {
        // Act
        string text = Window(s_berlin, "09:00", "17:00").ToString();

        // Assert
        Assert.Equal("mon,tue,wed,thu,fri 09:00-17:00 Europe/Berlin", text);
    }
}
