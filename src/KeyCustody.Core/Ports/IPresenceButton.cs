// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core.Ports;

/// <summary>One debounced press of the presence button.</summary>
/// <param name="PressedAt">When the button went down.</param>
/// <param name="Duration">How long it was held.</param>
public readonly record struct ButtonPress(DateTimeOffset PressedAt, TimeSpan Duration)
{
    /// <summary>A press held for at least this long is a long press (deny).</summary>
    public static readonly TimeSpan LongPressThreshold = TimeSpan.FromSeconds(2);

    /// <summary>True for a long press.</summary>
    public bool IsLong => Duration >= LongPressThreshold;
}

/// <summary>
/// The physical presence button. Drivers filter contact bounce and report completed presses only.
/// </summary>
public interface IPresenceButton : IAsyncDisposable
{
    /// <summary>A human-readable description of the device (for logs and the health detail).</summary>
    string Description { get; }

    /// <summary>Yields presses as they complete, until cancelled.</summary>
    IAsyncEnumerable<ButtonPress> ReadPressesAsync(CancellationToken cancellationToken = default);
}

/// <summary>What the indicator LED shows.</summary>
public enum LedState
{
    /// <summary>Nothing awaits presence.</summary>
    Off = 0,
    /// <summary>Steady on.</summary>
    On = 1,
    /// <summary>A request awaits a press.</summary>
    Blink = 2,
}

/// <summary>The indicator LED next to the button.</summary>
public interface IIndicatorLed : IAsyncDisposable
{
    /// <summary>Sets what the LED shows.</summary>
    ValueTask SetAsync(LedState state, CancellationToken cancellationToken = default);
}
