// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance.Tests;

/// <summary>A settable clock for unit tests (timers are not needed by the governance types).</summary>
internal sealed class FakeTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public FakeTimeProvider()
        : this(new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.Zero))
    {
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(by), "Time only moves forward.");
        }

        _now += by;
    }

    public void SetUtcNow(DateTimeOffset now) => _now = now;
}
