// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;

namespace KeyCustody.Governance;

/// <summary>What happened at the presence button.</summary>
public enum PresenceEventKind
{
    /// <summary>A request took the button (the LED blinks; its code shows in <c>keycustody pending</c>).</summary>
    Activated = 1,
    /// <summary>A short press confirmed the owner: it is Approved and may be signed.</summary>
    Confirmed = 2,
    /// <summary>A long press denied the owner.</summary>
    Denied = 3,
    /// <summary>No press within the window: the owner went back to the end of the queue.</summary>
    TimedOut = 4,
    /// <summary>A queued or owning request expired and left the queue.</summary>
    Expired = 5,
    /// <summary>A request left the queue for another reason (cancelled, denied by officers, failed).</summary>
    Removed = 6,
    /// <summary>A press arrived while no request owned the button (or began before the owner took it); nothing changed.</summary>
    PressIgnored = 7,
}

/// <summary>One presence event for the daemon to audit, log and persist.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="At">When.</param>
/// <param name="Request">The request concerned; null for <see cref="PresenceEventKind.PressIgnored"/>.</param>
/// <param name="Press">The press that caused it, if any.</param>
public sealed record PresenceEvent(PresenceEventKind Kind, DateTimeOffset At, SigningRequest? Request, ButtonPress? Press)
{
    /// <summary>The request id, if any.</summary>
    public string? RequestId => Request?.Id;
}

/// <summary>
/// Decides which request owns the presence button. Requests whose quorum is met and whose policy asks for
/// presence queue first-in first-out; the head owns the button for its presence window. A short press confirms
/// the owner (→ Approved), a long press (<see cref="ButtonPress.IsLong"/>) denies it, and no press within the
/// window sends it to the end of the queue (→ AwaitingPresence) until the request expires. A press while nothing
/// owns the button is reported as <see cref="PresenceEventKind.PressIgnored"/>. The LED blinks exactly while a
/// request owns the button. Debouncing is the driver's job.
/// <para>
/// Pure: time comes from the <see cref="TimeProvider"/>; the daemon calls <see cref="Poll"/> when
/// <see cref="NextDeadline"/> passes (or on a periodic tick) and <see cref="OnPress"/> for each press, then
/// persists the requests named in the returned events. Not thread-safe: call it under the daemon's governance lock.
/// After a restart, <see cref="Enqueue"/> the stored AwaitingPresence/PresenceActive requests in
/// <see cref="SigningRequest.QuorumReachedAt"/> order; an owner from before the restart starts a fresh window.
/// </para>
/// </summary>
public sealed class PresenceCoordinator
{
    private readonly TimeProvider _time;
    private readonly LinkedList<SigningRequest> _queue = new();
    private SigningRequest? _owner;

    /// <summary>Creates a coordinator with nothing queued.</summary>
    public PresenceCoordinator(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>The request that owns the button, or null.</summary>
    public SigningRequest? Owner => _owner;

    /// <summary>The owner's short code, or null.</summary>
    public string? OwnerCode => _owner?.PresenceCode;

    /// <summary>Requests waiting for the button, in order (the owner excluded).</summary>
    public IReadOnlyList<SigningRequest> Waiting => [.. _queue];

    /// <summary>What the LED should show: Blink while a request owns the button, Off otherwise.</summary>
    public LedState Led => _owner is null ? LedState.Off : LedState.Blink;

    /// <summary>The next instant at which <see cref="Poll"/> has work (window end or an expiry), or null when idle.</summary>
    public DateTimeOffset? NextDeadline
    {
        get
        {
            IEnumerable<DateTimeOffset> deadlines = _queue.Select(r => r.ExpiresAt);
            if (_owner is not null)
            {
                deadlines = deadlines.Append(_owner.PresenceDeadline!.Value).Append(_owner.ExpiresAt);
            }

            return deadlines.Any() ? deadlines.Min() : null;
        }
    }

    /// <summary>
    /// Queues a request that awaits presence (a PresenceActive one, restored after a restart, is reset first).
    /// It takes the button at once when nobody owns it. Returns the resulting events.
    /// </summary>
    public IReadOnlyList<PresenceEvent> Enqueue(SigningRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_owner == request || _queue.Contains(request) || _owner?.Id == request.Id || _queue.Any(r => r.Id == request.Id))
        {
            throw new InvalidOperationException($"Request {request.Id} is already queued for presence.");
        }

        if (request.State == SigningRequestState.PresenceActive)
        {
            request.ReturnToPresenceQueue();
        }

        if (request.State != SigningRequestState.AwaitingPresence)
        {
            throw new InvalidOperationException($"Request {request.Id} is {request.State.Name()}, not awaiting presence.");
        }

        _queue.AddLast(request);
        return Advance(_time.GetUtcNow());
    }

    /// <summary>Takes a request out of the queue (it was cancelled, denied by officers or failed).</summary>
    public IReadOnlyList<PresenceEvent> Remove(string requestId)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var events = new List<PresenceEvent>();
        if (_owner?.Id == requestId)
        {
            if (_owner.State == SigningRequestState.PresenceActive)
            {
                _owner.ReturnToPresenceQueue();
            }

            events.Add(new PresenceEvent(PresenceEventKind.Removed, now, _owner, null));
            _owner = null;
        }
        else if (_queue.FirstOrDefault(r => r.Id == requestId) is { } queued)
        {
            _queue.Remove(queued);
            events.Add(new PresenceEvent(PresenceEventKind.Removed, now, queued, null));
        }

        events.AddRange(Advance(now));
        return events;
    }

    /// <summary>Applies time: expiries, window timeouts, and hand-over of the button.</summary>
    public IReadOnlyList<PresenceEvent> Poll() => Advance(_time.GetUtcNow());

    /// <summary>
    /// Applies one press. The press is judged at the moment it began (<see cref="ButtonPress.PressedAt"/>, capped at
    /// now), so a long press that started inside the window still counts when it is reported after the window.
    /// </summary>
    public IReadOnlyList<PresenceEvent> OnPress(ButtonPress press)
    {
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset pressedAt = press.PressedAt < now ? press.PressedAt : now;
        var events = new List<PresenceEvent>(Advance(pressedAt));
        if (_owner is null || pressedAt < _owner.PresenceDeadline!.Value - _owner.PresenceWindow)
        {
            // Nothing owns the button, or the press began before the current owner took it (it was meant
            // for the previous owner, whose window ran out meanwhile): never let it confirm someone else.
            events.Add(new PresenceEvent(PresenceEventKind.PressIgnored, pressedAt, null, press));
        }
        else
        {
            SigningRequest owner = _owner;
            _owner = null;
            if (press.IsLong)
            {
                owner.DenyByPresence(pressedAt);
                events.Add(new PresenceEvent(PresenceEventKind.Denied, pressedAt, owner, press));
            }
            else
            {
                owner.ConfirmPresence(pressedAt);
                events.Add(new PresenceEvent(PresenceEventKind.Confirmed, pressedAt, owner, press));
            }
        }

        events.AddRange(Advance(now));
        return events;
    }

    private List<PresenceEvent> Advance(DateTimeOffset now)
    {
        var events = new List<PresenceEvent>();

        // Requests changed elsewhere (denied by officers, cancelled, failed) leave without ceremony.
        foreach (SigningRequest gone in _queue.Where(r => r.State != SigningRequestState.AwaitingPresence && !IsExpiredBy(r, now)).ToList())
        {
            _queue.Remove(gone);
            events.Add(new PresenceEvent(PresenceEventKind.Removed, now, gone, null));
        }

        if (_owner is not null && _owner.State != SigningRequestState.PresenceActive && !IsExpiredBy(_owner, now))
        {
            events.Add(new PresenceEvent(PresenceEventKind.Removed, now, _owner, null));
            _owner = null;
        }

        // Loop because a hand-over can itself be due: the next owner may already have expired.
        while (true)
        {
            foreach (SigningRequest expired in _queue.Where(r => IsExpiredBy(r, now)).ToList())
            {
                _queue.Remove(expired);
                expired.ExpireIfDue(now);
                events.Add(new PresenceEvent(PresenceEventKind.Expired, now, expired, null));
            }

            if (_owner is not null && IsExpiredBy(_owner, now))
            {
                _owner.ExpireIfDue(now);
                events.Add(new PresenceEvent(PresenceEventKind.Expired, now, _owner, null));
                _owner = null;
            }
            else if (_owner is not null && now >= _owner.PresenceDeadline)
            {
                _owner.ReturnToPresenceQueue();
                events.Add(new PresenceEvent(PresenceEventKind.TimedOut, now, _owner, null));
                _queue.AddLast(_owner);
                _owner = null;
            }

            if (_owner is not null || _queue.Count == 0)
            {
                return events;
            }

            SigningRequest next = _queue.First!.Value;
            _queue.RemoveFirst();
            next.ActivatePresence(now);
            _owner = next;
            events.Add(new PresenceEvent(PresenceEventKind.Activated, now, next, null));
        }
    }

    private static bool IsExpiredBy(SigningRequest request, DateTimeOffset now) =>
        request.State == SigningRequestState.Expired || (!request.IsTerminal && now >= request.ExpiresAt);
}
