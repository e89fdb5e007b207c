// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;

namespace KeyCustody.Daemon.Hosting;

/// <summary>Where the appliance is in its life.</summary>
public enum ApplianceHealth
{
    /// <summary>The start-up sequence is running.</summary>
    Starting = 0,
    /// <summary>Every check passed: the HSM is logged in and signing is allowed.</summary>
    Serving = 1,
    /// <summary>A check failed or a device was lost; nothing is signed until the cause is fixed.</summary>
    NotServing = 2,
    /// <summary>The daemon is shutting down.</summary>
    Stopping = 3,
}

/// <summary>
/// The appliance's serving state, shared by the start-up sequence, the policy watchdog and every handler.
/// Signing handlers call <see cref="RequireServing"/> first: when the appliance is not serving they fail with the
/// reason's own status (BootStateChanged → FAILED_PRECONDITION, AuditRolledBack → DATA_LOSS, a lost device →
/// UNAVAILABLE), so a client learns why and nothing is signed.
/// </summary>
public sealed class ApplianceState
{
    private readonly object _gate = new();
    private ApplianceHealth _health = ApplianceHealth.Starting;
    private CustodyStatus _reasonStatus = CustodyStatus.HsmUnavailable;
    private string _reason = "the appliance is starting";

    /// <summary>Raised after every change (outside the lock).</summary>
    public event Action<ApplianceHealth, string>? Changed;

    /// <summary>The current health.</summary>
    public ApplianceHealth Health
    {
        get
        {
            lock (_gate)
            {
                return _health;
            }
        }
    }

    /// <summary>Why the appliance is not serving (empty when serving).</summary>
    public string Reason
    {
        get
        {
            lock (_gate)
            {
                return _reason;
            }
        }
    }

    /// <summary>The status that explains <see cref="Reason"/>.</summary>
    public CustodyStatus ReasonStatus
    {
        get
        {
            lock (_gate)
            {
                return _reasonStatus;
            }
        }
    }

    /// <summary>Marks the appliance SERVING.</summary>
    public void SetServing() => Set(ApplianceHealth.Serving, CustodyStatus.Ok, string.Empty);

    /// <summary>Marks the appliance NOT_SERVING for <paramref name="reason"/>; a later failure does not hide the first.</summary>
    public void SetNotServing(CustodyStatus status, string reason)
    {
        lock (_gate)
        {
            if (_health == ApplianceHealth.NotServing)
            {
                return;
            }
        }

        Set(ApplianceHealth.NotServing, status == CustodyStatus.Ok ? CustodyStatus.Internal : status, reason);
    }

    /// <summary>Marks the appliance as stopping; signing stops at once.</summary>
    public void SetStopping() => Set(ApplianceHealth.Stopping, CustodyStatus.HsmUnavailable, "the appliance is stopping");

    /// <summary>Throws unless SERVING.</summary>
    /// <exception cref="CustodyException">With the reason's status, or HsmUnavailable while starting or stopping.</exception>
    public void RequireServing()
    {
        lock (_gate)
        {
            switch (_health)
            {
                case ApplianceHealth.Serving:
                    return;
                case ApplianceHealth.NotServing:
                    throw new CustodyException(_reasonStatus, $"The appliance is not serving and signs nothing: {_reason}");
                default:
                    throw new CustodyException(CustodyStatus.HsmUnavailable, $"The appliance is not serving yet: {_reason}; retry shortly.");
            }
        }
    }

    private void Set(ApplianceHealth health, CustodyStatus status, string reason)
    {
        lock (_gate)
        {
            _health = health;
            _reasonStatus = status;
            _reason = reason;
        }

        Changed?.Invoke(health, reason);
    }
}
