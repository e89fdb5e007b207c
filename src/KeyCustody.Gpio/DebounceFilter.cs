// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Gpio;

/// <summary>One raw transition of the button contact, stamped by the source's clock.</summary>
/// <param name="Timestamp">When the edge happened, as a span since the source clock's epoch.</param>
/// <param name="IsDown">True when the button went down (the line became active), false when it came up.</param>
public readonly record struct RawEdge(TimeSpan Timestamp, bool IsDown);

/// <summary>A press the filter accepted, in the source's clock.</summary>
/// <param name="DownAt">When the button went down.</param>
/// <param name="Duration">From the first down edge to the last up edge, bounce included.</param>
public readonly record struct DebouncedPress(TimeSpan DownAt, TimeSpan Duration);

/// <summary>
/// Turns raw edges into completed presses, dropping contact bounce. Pure: it never reads a clock; the caller
/// feeds edges in order and calls <see cref="Settle"/> once no edge has arrived for <see cref="Window"/> after
/// a release. Not thread-safe: one reader loop owns it.
/// </summary>
/// <remarks>
/// Rules: a down edge starts a press. An up edge starts a release, which is confirmed only when no down edge
/// follows within the window (a down edge inside the window was bounce, and the press goes on). A confirmed
/// press shorter than the window is noise and is dropped. Repeated edges in the same direction are ignored,
/// as is an up edge while no press is in progress (the reader started mid-press).
/// </remarks>
public sealed class DebounceFilter
{
    private State _state;
    private TimeSpan _downAt;
    private TimeSpan _upAt;

    /// <summary>Creates a filter that treats edges closer than <paramref name="window"/> as bounce.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is negative or longer than one second.</exception>
    public DebounceFilter(TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(window, TimeSpan.FromSeconds(1));
        Window = window;
    }

    /// <summary>The recommended window for a mechanical push button: most settle within 5–20 ms.</summary>
    public static TimeSpan DefaultWindow { get; } = TimeSpan.FromMilliseconds(30);

    private enum State
    {
        Idle,
        Down,
        Releasing,
    }

    /// <summary>Edges closer than this are bounce; presses shorter than this are noise.</summary>
    public TimeSpan Window { get; }

    /// <summary>True while a release waits for the quiet period that confirms it.</summary>
    public bool IsSettling => _state == State.Releasing;

    /// <summary>True while the button is down (or bouncing on its way up).</summary>
    public bool IsPressed => _state != State.Idle;

    /// <summary>
    /// Feeds one edge. Returns true with the previous press when this down edge arrived after that press's release
    /// had already lasted longer than the window (the caller had not called <see cref="Settle"/> yet).
    /// </summary>
    public bool Push(RawEdge edge, out DebouncedPress press)
    {
        press = default;
        switch (_state)
        {
            case State.Idle when edge.IsDown:
                _downAt = edge.Timestamp;
                _state = State.Down;
                return false;

            case State.Down when !edge.IsDown:
                _upAt = edge.Timestamp;
                _state = State.Releasing;
                return false;

            case State.Releasing when edge.IsDown:
                if (edge.Timestamp - _upAt < Window)
                {
                    // Bounce on the way up: the contact closed again before it settled open.
                    _state = State.Down;
                    return false;
                }

                bool completed = TryComplete(out press);
                _downAt = edge.Timestamp;
                _state = State.Down;
                return completed;

            default:
                // Idle+up (reader started mid-press), Down+down, Releasing+up: nothing changes.
                return false;
        }
    }

    /// <summary>
    /// Confirms a pending release after the caller saw no edge for <see cref="Window"/>. Returns true with the
    /// press unless it was shorter than the window (noise); returns false when no release was pending.
    /// </summary>
    public bool Settle(out DebouncedPress press)
    {
        press = default;
        if (_state != State.Releasing)
        {
            return false;
        }

        _state = State.Idle;
        return TryComplete(out press);
    }

    /// <summary>Forgets any press in progress: the source reported that events were lost.</summary>
    public void Reset() => _state = State.Idle;

    private bool TryComplete(out DebouncedPress press)
    {
        TimeSpan duration = _upAt - _downAt;
        press = new DebouncedPress(_downAt, duration);
        return duration >= Window && duration > TimeSpan.Zero;
    }
}
