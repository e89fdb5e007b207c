// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class PresenceCoordinatorTests
{
    private static readonly TimeSpan s_window = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan s_short = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(2.5);
    private static readonly CallerIdentity s_ci = new("CN=ci-release,O=Example");

    private readonly FakeTimeProvider _time = new();
    private readonly PresenceCoordinator _coordinator;

    public PresenceCoordinatorTests() => _coordinator = new PresenceCoordinator(_time);

    private DateTimeOffset Now => _time.GetUtcNow();

    // No approvals, presence required: the request starts awaiting presence.
    private SigningRequest Request(string id, string expiry = "24h", string window = "2m") =>
        SigningRequest.Create(id, PolicyDocuments.Parse(approvals: 0, presence: true, expiry: expiry, window: window), s_ci,
            DigestAlgorithm.Sha256, new byte[32], StatementText.NewNonce(), Now);

    private ButtonPress Press(TimeSpan duration, TimeSpan? agoStarted = null) => new(Now - (agoStarted ?? duration), duration);

    private static (PresenceEventKind Kind, string? Id)[] Kinds(IEnumerable<PresenceEvent> events) =>
        events.Select(e => (e.Kind, e.RequestId)).ToArray();

    [Fact]
    public void Enqueue_First_TakesButtonAndBlinks()
    {
        // Arrange
        SigningRequest a = Request("a");

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.Enqueue(a);

        // Assert
        Assert.Equal([(PresenceEventKind.Activated, "a")], Kinds(events));
        Assert.Same(a, _coordinator.Owner);
        Assert.Equal(a.PresenceCode, _coordinator.OwnerCode);
        Assert.Equal(LedState.Blink, _coordinator.Led);
        Assert.Equal(SigningRequestState.PresenceActive, a.State);
        Assert.True(a.OwnsButton);
        Assert.Equal(Now + s_window, a.PresenceDeadline);
        Assert.Equal(Now + s_window, _coordinator.NextDeadline);
    }

    [Fact]
    public void Enqueue_Second_WaitsInFifoOrder()
    {
        // Arrange
        SigningRequest a = Request("a"), b = Request("b"), c = Request("c");

        // Act
        _coordinator.Enqueue(a);
        IReadOnlyList<PresenceEvent> events = _coordinator.Enqueue(b);
        _coordinator.Enqueue(c);

        // Assert
        Assert.Empty(events);
        Assert.Same(a, _coordinator.Owner);
        Assert.Equal(["b", "c"], _coordinator.Waiting.Select(r => r.Id));
        Assert.Equal(SigningRequestState.AwaitingPresence, b.State);
    }

    [Fact]
    public void OnPress_Short_ConfirmsOwnerAndNextTakesButton()
    {
        // Arrange
        SigningRequest a = Request("a"), b = Request("b");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);
        _time.Advance(TimeSpan.FromSeconds(10));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(s_short));

        // Assert
        Assert.Equal([(PresenceEventKind.Confirmed, "a"), (PresenceEventKind.Activated, "b")], Kinds(events));
        Assert.Equal(SigningRequestState.Approved, a.State);
        Assert.Same(b, _coordinator.Owner);
        Assert.Equal(LedState.Blink, _coordinator.Led);
        a.MarkSigned(Now);
        Assert.Equal(SigningRequestState.Signed, a.State);
    }

    [Fact]
    public void OnPress_Long_DeniesOwner()
    {
        // Arrange
        SigningRequest a = Request("a");
        _coordinator.Enqueue(a);
        _time.Advance(TimeSpan.FromSeconds(10));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(s_long));

        // Assert
        Assert.Equal([(PresenceEventKind.Denied, "a")], Kinds(events));
        Assert.Equal(SigningRequestState.Denied, a.State);
        Assert.Equal("denied by a long press of the presence button", a.StateReason);
        Assert.Null(_coordinator.Owner);
        Assert.Equal(LedState.Off, _coordinator.Led);
        Assert.Null(_coordinator.NextDeadline);
    }

    [Fact]
    public void OnPress_ExactlyAtThreshold_DeniesAsLong()
    {
        // Arrange
        SigningRequest a = Request("a");
        _coordinator.Enqueue(a);
        _time.Advance(TimeSpan.FromSeconds(5));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(ButtonPress.LongPressThreshold));

        // Assert
        Assert.Equal(PresenceEventKind.Denied, Assert.Single(events).Kind);
    }

    [Fact]
    public void OnPress_NothingAwaiting_Ignored()
    {
        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(s_short));

        // Assert
        PresenceEvent ignored = Assert.Single(events);
        Assert.Equal(PresenceEventKind.PressIgnored, ignored.Kind);
        Assert.Null(ignored.Request);
        Assert.Equal(s_short, ignored.Press!.Value.Duration);
        Assert.Equal(LedState.Off, _coordinator.Led);
    }

    [Fact]
    public void Poll_WindowTimeout_OwnerGoesToEndOfQueue()
    {
        // Arrange
        SigningRequest a = Request("a"), b = Request("b");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);
        _time.Advance(s_window);

        // Act
        IReadOnlyList<PresenceEvent> first = _coordinator.Poll();
        _time.Advance(s_window);
        IReadOnlyList<PresenceEvent> second = _coordinator.Poll();

        // Assert
        Assert.Equal([(PresenceEventKind.TimedOut, "a"), (PresenceEventKind.Activated, "b")], Kinds(first));
        Assert.Equal([(PresenceEventKind.TimedOut, "b"), (PresenceEventKind.Activated, "a")], Kinds(second));
        Assert.Same(a, _coordinator.Owner);
        Assert.Equal(["b"], _coordinator.Waiting.Select(r => r.Id));
        Assert.Equal(SigningRequestState.AwaitingPresence, b.State);
    }

    [Fact]
    public void Poll_BeforeDeadline_NothingHappens()
    {
        // Arrange
        SigningRequest a = Request("a");
        _coordinator.Enqueue(a);
        _time.Advance(s_window - TimeSpan.FromSeconds(1));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.Poll();

        // Assert
        Assert.Empty(events);
        Assert.Same(a, _coordinator.Owner);
    }

    [Fact]
    public void Poll_WindowTimeoutAlone_GetsButtonAgainUntilExpiry()
    {
        // Arrange: expires after 5 minutes; window 2 minutes.
        SigningRequest a = Request("a", expiry: "5m");
        _coordinator.Enqueue(a);

        // Act
        _time.Advance(s_window);
        IReadOnlyList<PresenceEvent> retry = _coordinator.Poll();
        _time.Advance(TimeSpan.FromMinutes(3));
        IReadOnlyList<PresenceEvent> end = _coordinator.Poll();

        // Assert
        Assert.Equal([(PresenceEventKind.TimedOut, "a"), (PresenceEventKind.Activated, "a")], Kinds(retry));
        Assert.Equal([(PresenceEventKind.Expired, "a")], Kinds(end));
        Assert.Equal(SigningRequestState.Expired, a.State);
        Assert.Null(_coordinator.Owner);
        Assert.Equal(LedState.Off, _coordinator.Led);
    }

    [Fact]
    public void NextDeadline_WaitingExpiresFirst_IsThatExpiry()
    {
        // Arrange: a waiting request that expires before the owner's (longer) window ends.
        SigningRequest a = Request("a", window: "10m"), b = Request("b", expiry: "3m");

        // Act
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);

        // Assert
        Assert.Equal(b.ExpiresAt, _coordinator.NextDeadline);
    }

    [Fact]
    public void Poll_WaitingRequestExpires_LeavesQueueOwnerKeepsButton()
    {
        // Arrange
        SigningRequest a = Request("a", window: "10m"), b = Request("b", expiry: "3m");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);
        _time.Advance(TimeSpan.FromMinutes(3));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.Poll();

        // Assert
        Assert.Equal([(PresenceEventKind.Expired, "b")], Kinds(events));
        Assert.Equal(SigningRequestState.Expired, b.State);
        Assert.Same(a, _coordinator.Owner);
        Assert.Empty(_coordinator.Waiting);
    }

    [Fact]
    public void OnPress_LongStartedInsideWindowReportedAfter_DeniesOwner()
    {
        // Arrange: the press began 1 s before the window closed and was released 1.5 s after.
        SigningRequest a = Request("a"), b = Request("b");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);
        _time.Advance(s_window + TimeSpan.FromSeconds(1.5));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(s_long, agoStarted: TimeSpan.FromSeconds(2.5)));

        // Assert
        Assert.Equal([(PresenceEventKind.Denied, "a"), (PresenceEventKind.Activated, "b")], Kinds(events));
        Assert.Equal(SigningRequestState.Denied, a.State);
    }

    [Fact]
    public void OnPress_BegunBeforeOwnerTookButton_Ignored()
    {
        // Arrange: a timed out and b took the button (Poll ran); then a press that began before the hand-over arrives.
        SigningRequest a = Request("a"), b = Request("b");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);
        _time.Advance(s_window + TimeSpan.FromSeconds(1));
        _coordinator.Poll();

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(s_short, agoStarted: TimeSpan.FromSeconds(2)));

        // Assert
        Assert.Equal([(PresenceEventKind.PressIgnored, (string?)null)], Kinds(events));
        Assert.Same(b, _coordinator.Owner);
        Assert.Equal(SigningRequestState.PresenceActive, b.State);
    }

    [Fact]
    public void Remove_Owner_NextTakesButton()
    {
        // Arrange
        SigningRequest a = Request("a"), b = Request("b");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.Remove("a");
        a.Cancel("requester cancelled", Now);

        // Assert
        Assert.Equal([(PresenceEventKind.Removed, "a"), (PresenceEventKind.Activated, "b")], Kinds(events));
        Assert.Equal(SigningRequestState.Cancelled, a.State);
        Assert.Same(b, _coordinator.Owner);
    }

    [Fact]
    public void Poll_OwnerCancelledElsewhere_RemovedAndNextActivated()
    {
        // Arrange
        SigningRequest a = Request("a"), b = Request("b");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);
        a.Cancel("requester cancelled", Now);

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.Poll();

        // Assert
        Assert.Equal([(PresenceEventKind.Removed, "a"), (PresenceEventKind.Activated, "b")], Kinds(events));
    }

    [Fact]
    public void OnPress_WaitingCancelledElsewhere_RemovedAndOwnerConfirmed()
    {
        // Arrange
        SigningRequest a = Request("a"), b = Request("b");
        _coordinator.Enqueue(a);
        _coordinator.Enqueue(b);
        _time.Advance(TimeSpan.FromSeconds(5));
        b.Cancel("requester cancelled", Now);

        // Act: b was waiting and is now gone; a still owns the button and gets the press.
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(s_short));

        // Assert
        Assert.Equal([(PresenceEventKind.Removed, "b"), (PresenceEventKind.Confirmed, "a")], Kinds(events));
        Assert.Equal(SigningRequestState.Approved, a.State);
        Assert.Equal(SigningRequestState.Cancelled, b.State);
    }

    [Fact]
    public void Enqueue_RestoredPresenceActive_StartsFreshWindow()
    {
        // Arrange: a request that owned the button before a restart.
        SigningRequest a = Request("a");
        var before = new PresenceCoordinator(_time);
        before.Enqueue(a);
        SigningRequest restored = SigningRequest.FromSnapshot(a.ToSnapshot());
        _time.Advance(TimeSpan.FromMinutes(1));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.Enqueue(restored);

        // Assert
        Assert.Equal([(PresenceEventKind.Activated, "a")], Kinds(events));
        Assert.Equal(Now + s_window, restored.PresenceDeadline);
    }

    [Fact]
    public void Enqueue_NotAwaitingPresence_Throws()
    {
        // Arrange
        SigningRequest approved = SigningRequest.Create("x", PolicyDocuments.Parse(approvals: 0, presence: false), s_ci,
            DigestAlgorithm.Sha256, new byte[32], StatementText.NewNonce(), Now);

        // Act & Assert
        Assert.Throws<InvalidOperationException>(() => _coordinator.Enqueue(approved));
    }

    [Fact]
    public void Enqueue_Twice_Throws()
    {
        // Arrange
        SigningRequest a = Request("a");
        _coordinator.Enqueue(a);

        // Act & Assert
        Assert.Throws<InvalidOperationException>(() => _coordinator.Enqueue(a));
    }

    [Fact]
    public void OnPress_AfterQueueEmptied_Ignored()
    {
        // Arrange
        SigningRequest a = Request("a");
        _coordinator.Enqueue(a);
        _time.Advance(TimeSpan.FromSeconds(5));
        _coordinator.OnPress(Press(s_short));
        _time.Advance(TimeSpan.FromSeconds(5));

        // Act
        IReadOnlyList<PresenceEvent> events = _coordinator.OnPress(Press(s_short));

        // Assert
        Assert.Equal(PresenceEventKind.PressIgnored, Assert.Single(events).Kind);
        Assert.Equal(SigningRequestState.Approved, a.State);
    }
}
