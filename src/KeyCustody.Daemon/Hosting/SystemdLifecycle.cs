// SPDX-License-Identifier: Apache-2.0

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Ties the appliance's life to systemd (Type=notify): STATUS= follows every health change; READY=1 is sent only
/// once the start-up sequence reached SERVING (so <c>systemctl start</c> returns when signing works, and a unit that
/// depends on us starts after that); WATCHDOG=1 at half the watchdog timeout while the daemon's state machine and
/// thread pool respond; STOPPING=1 before the devices are released. A start that ends NOT_SERVING sends no READY:
/// systemd reports the STATUS reason and fails the start after TimeoutStartSec.
/// </summary>
public sealed class SystemdLifecycle : IAsyncDisposable
{
    private readonly SystemdNotifier? _notifier;
    private readonly ApplianceState _state;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watchdog;
    private bool _disposed;

    private SystemdLifecycle(SystemdNotifier? notifier, ApplianceState state)
    {
        _notifier = notifier;
        _state = state;
        _state.Changed += OnChanged;
        _watchdog = notifier?.WatchdogTimeout is { } timeout ? Task.Run(() => PingAsync(timeout / 2)) : Task.CompletedTask;
        _notifier?.Notify(SystemdNotifier.Status("starting: " + state.Reason));
    }

    /// <summary>True when the daemon runs under systemd's notification protocol.</summary>
    public bool Active => _notifier is not null;

    /// <summary>Starts following <paramref name="state"/>; <paramref name="notifier"/> null makes every call a no-op.</summary>
    public static SystemdLifecycle Attach(SystemdNotifier? notifier, ApplianceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new SystemdLifecycle(notifier, state);
    }

    /// <summary>Called once the start-up sequence has finished: READY=1 when SERVING, otherwise only the reason.</summary>
    public void StartCompleted()
    {
        if (_state.Health == ApplianceHealth.Serving)
        {
            _notifier?.Notify("READY=1\n" + SystemdNotifier.Status("SERVING"));
        }
        else
        {
            _notifier?.Notify(SystemdNotifier.Status($"NOT_SERVING ({_state.ReasonStatus}): {_state.Reason}"));
        }
    }

    /// <summary>Sends STOPPING=1 and ends the watchdog pings.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _state.Changed -= OnChanged;
        _notifier?.Notify("STOPPING=1\n" + SystemdNotifier.Status("stopping"));
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watchdog.ConfigureAwait(false);
        _stop.Dispose();
    }

    private void OnChanged(ApplianceHealth health, string reason)
    {
        string text = health switch
        {
            ApplianceHealth.Serving => "SERVING",
            ApplianceHealth.NotServing => $"NOT_SERVING ({_state.ReasonStatus}): {reason}",
            ApplianceHealth.Stopping => "stopping",
            _ => "starting: " + reason,
        };
        _notifier?.Notify(SystemdNotifier.Status(text));
    }

    // A ping proves the thread pool runs and the state lock is free. It continues while NOT_SERVING: a restart
    // cannot fix a changed PCR or a rolled-back log, and the health endpoint must keep explaining why.
    private async Task PingAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                if (_state.Health != ApplianceHealth.Stopping)
                {
                    _notifier!.Notify("WATCHDOG=1");
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
