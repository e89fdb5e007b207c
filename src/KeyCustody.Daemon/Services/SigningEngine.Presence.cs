// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;

namespace KeyCustody.Daemon.Services;

internal sealed partial class SigningEngine
{
    /// <summary>The request that owns the button now, or null (a copy).</summary>
    public async Task<(string Id, string Code)?> ButtonOwnerAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_fast)
            {
                return _presence.Owner is { } owner ? (owner.Id, owner.PresenceCode) : null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Applies one button press: a short press confirms the owner (which is then signed), a long press denies it.</summary>
    public async Task OnPressAsync(ButtonPress press, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<PresenceEvent> events;
            lock (_fast)
            {
                events = _presence.OnPress(press);
            }

            await ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Periodic work: presence windows and hand-overs, request expiry, and signing of requests that were cleared but
    /// not signed (after a restart or a failed audit commit).
    /// </summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyList<PresenceEvent> events;
            lock (_fast)
            {
                events = _presence.Poll();
            }

            await ApplyPresenceEventsAsync(events, cancellationToken).ConfigureAwait(false);
            DateTimeOffset now = _time.GetUtcNow();
            foreach (SigningRequest request in _open.Values.ToList())
            {
                if (request.State is SigningRequestState.AwaitingApprovals && request.ExpireIfDue(now))
                {
                    await ExpireAsync(request, cancellationToken).ConfigureAwait(false);
                }
                else if (request.State == SigningRequestState.Approved)
                {
                    await TrySignGovernedAsync(request, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Persists and audits what the presence coordinator did; signs confirmed requests. Under the governance lock.</summary>
    private async Task ApplyPresenceEventsAsync(IReadOnlyList<PresenceEvent> events, CancellationToken cancellationToken)
    {
        foreach (PresenceEvent presence in events)
        {
            SigningRequest? request = presence.Request;
            switch (presence.Kind)
            {
                case PresenceEventKind.Activated:
                    await PersistTransitionAsync(request!, AuditEventTypes.PresenceRequested, e => e
                        .Add("presence_code", request!.PresenceCode)
                        .Add("presence_deadline", request.PresenceDeadline!.Value), cancellationToken).ConfigureAwait(false);
                    DaemonLog.Request(_logger, request!.Id, request.Key.Value, $"owns the button (code {request.PresenceCode})");
                    break;
                case PresenceEventKind.Confirmed:
                    await PersistTransitionAsync(request!, AuditEventTypes.PresenceConfirmed, e => e
                        .Add("pressed_at", presence.Press!.Value.PressedAt)
                        .Add("press_ms", (long)presence.Press.Value.Duration.TotalMilliseconds)
                        .Add("presence_code", request!.PresenceCode), cancellationToken).ConfigureAwait(false);
                    DaemonLog.Request(_logger, request!.Id, request.Key.Value, "presence confirmed");
                    await TrySignGovernedAsync(request, cancellationToken).ConfigureAwait(false);
                    break;
                case PresenceEventKind.Denied:
                    await PersistTransitionAsync(request!, AuditEventTypes.SigningDenied, e => e
                        .Add("by", "long press of the presence button")
                        .Add("pressed_at", presence.Press!.Value.PressedAt)
                        .Add("press_ms", (long)presence.Press.Value.Duration.TotalMilliseconds), cancellationToken).ConfigureAwait(false);
                    _open.Remove(request!.Id);
                    DaemonLog.Request(_logger, request.Id, request.Key.Value, "denied by a long press");
                    break;
                case PresenceEventKind.TimedOut:
                    await PersistTransitionAsync(request!, "signing.presence_timed_out", null, cancellationToken).ConfigureAwait(false);
                    break;
                case PresenceEventKind.Expired:
                    await PersistTransitionAsync(request!, AuditEventTypes.SigningExpired, null, cancellationToken).ConfigureAwait(false);
                    _open.Remove(request!.Id);
                    break;
                case PresenceEventKind.Removed:
                    break;
                case PresenceEventKind.PressIgnored:
                    DaemonLog.PressIgnored(_logger, (long)(presence.Press?.Duration.TotalMilliseconds ?? 0), "no request owns the button");
                    break;
            }

            if (request is not null)
            {
                Changed(request.Id);
            }
        }

        if (events.Count > 0)
        {
            UpdateLed();
        }
    }
}
