// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;

namespace KeyCustody.Gpio;

/// <summary>
/// An LED that only remembers what it was told: for the development appliance (whose status shows it) and tests.
/// Thread-safe.
/// </summary>
public sealed class SimulatedIndicatorLed : IIndicatorLed
{
    private readonly Lock _lock = new();
    private readonly List<LedState> _history = [];
    private LedState _state = LedState.Off;

    /// <summary>Raised after every change of <see cref="State"/>, with the new state.</summary>
    public event Action<LedState>? StateChanged;

    /// <summary>What the LED shows now (Off initially).</summary>
    public LedState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Every state set so far, in order, repeats included.</summary>
    public IReadOnlyList<LedState> History
    {
        get
        {
            lock (_lock)
            {
                return [.. _history];
            }
        }
    }

    /// <inheritdoc />
    public ValueTask SetAsync(LedState state, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(state))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown LED state.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        bool changed;
        lock (_lock)
        {
            changed = _state != state;
            _state = state;
            _history.Add(state);
        }

        if (changed)
        {
            StateChanged?.Invoke(state);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Switches the LED off, like the hardware drivers do when the daemon stops.</summary>
    public ValueTask DisposeAsync() => SetAsync(LedState.Off);
}

/// <summary>The LED of an appliance that has none: every state is accepted and shown nowhere.</summary>
public sealed class NoIndicatorLed : IIndicatorLed
{
    /// <inheritdoc />
    public ValueTask SetAsync(LedState state, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
