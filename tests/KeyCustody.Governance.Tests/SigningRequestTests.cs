// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class SigningRequestTests
{
    private static readonly DateTimeOffset s_now = new(2025, 3, 3, 10, 0, 0, 250, TimeSpan.Zero);
    private static readonly CallerIdentity s_ci = new("CN=ci-release,O=Example", ["spiffe://example.org/ci/release"]);
    private static readonly byte[] s_digest = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private const string Nonce = "bm9uY2Utbm9uY2Utbm9uY2U";

    internal static SigningRequest Create(KeyPolicy policy, DateTimeOffset? now = null, string id = "req-1", string nonce = Nonce) =>
        SigningRequest.Create(id, policy, s_ci, DigestAlgorithm.Sha256, s_digest, nonce, now ?? s_now);

    [Theory]
    [InlineData(2, true, SigningRequestState.AwaitingApprovals)]
    [InlineData(2, false, SigningRequestState.AwaitingApprovals)]
    [InlineData(0, true, SigningRequestState.AwaitingPresence)]
    [InlineData(0, false, SigningRequestState.Approved)]
    public void Create_InitialStateFollowsPolicy(int approvals, bool presence, SigningRequestState expected)
    {
        // Act
        SigningRequest request = Create(PolicyDocuments.Parse(approvals, presence));

        // Assert
        Assert.Equal(expected, request.State);
        Assert.Equal(s_now.AddHours(24), request.ExpiresAt);
        Assert.Equal(3, request.PolicyVersion);
        Assert.Equal(approvals, request.ApprovalsRequired);
        Assert.Equal(approvals > 0 ? "release-officers" : null, request.ApproverGroup);
        Assert.False(request.IsTerminal);
        Assert.Equal(expected == SigningRequestState.Approved ? s_now : null, request.CompletedAt);
    }

    [Fact]
    public void Create_WrongDigestLength_InvalidArgument()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() =>
            SigningRequest.Create("req-1", PolicyDocuments.Parse(), s_ci, DigestAlgorithm.Sha512, s_digest, Nonce, s_now));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
    }

    [Fact]
    public void CreateStatement_ExpiresAfterValidityOrWithRequest_WholeSeconds()
    {
        // Arrange
        SigningRequest longLived = Create(PolicyDocuments.Parse(validity: "1h"));
        SigningRequest shortLived = Create(PolicyDocuments.Parse(validity: "1h", expiry: "30m", window: "1m"));

        // Act
        ApprovalStatement a = longLived.CreateStatement(ApprovalAction.Approve, s_now);
        ApprovalStatement b = shortLived.CreateStatement(ApprovalAction.Deny, s_now);

        // Assert
        Assert.Equal(new DateTimeOffset(2025, 3, 3, 11, 0, 0, TimeSpan.Zero), a.ExpiresAt);
        Assert.Equal(new DateTimeOffset(2025, 3, 3, 10, 30, 0, TimeSpan.Zero), b.ExpiresAt);
        Assert.Equal("req-1", a.RequestId);
        Assert.Equal(Nonce, a.Nonce);
        Assert.Equal(Convert.ToHexStringLower(s_digest), a.DigestHex);
        Assert.Equal(s_ci.Subject, a.Requester);
        Assert.Equal(ApprovalAction.Deny, b.Action);
    }

    [Fact]
    public void CreateStatement_AfterExpiry_ExpiredAndStateMoves()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse());

        // Act
        var e = Assert.Throws<CustodyException>(() => request.CreateStatement(ApprovalAction.Approve, s_now.AddHours(24)));

        // Assert
        Assert.Equal(CustodyStatus.Expired, e.Status);
        Assert.Equal(SigningRequestState.Expired, request.State);
        Assert.Equal("Request req-1 expired at 2025-03-04T10:00:00Z before it was completed.", e.Message);
    }

    [Fact]
    public void CreateStatement_NoApproverGroup_WrongStateForBothActions()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse(approvals: 0, presence: true));

        // Act
        var e = Assert.Throws<CustodyException>(() => request.CreateStatement(ApprovalAction.Approve, s_now));
        var deny = Assert.Throws<CustodyException>(() => request.CreateStatement(ApprovalAction.Deny, s_now));

        // Assert
        Assert.Equal(CustodyStatus.WrongState, e.Status);
        Assert.Contains("needs no officer approvals", e.Message);
        Assert.Equal(CustodyStatus.WrongState, deny.Status);
    }

    [Fact]
    public void Cancel_Pending_CancelledThenWrongState()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse());

        // Act
        request.Cancel("pipeline aborted", s_now.AddMinutes(1));
        var again = Assert.Throws<CustodyException>(() => request.Cancel("again", s_now.AddMinutes(2)));

        // Assert
        Assert.Equal(SigningRequestState.Cancelled, request.State);
        Assert.Equal("pipeline aborted", request.StateReason);
        Assert.Equal(CustodyStatus.WrongState, again.Status);
        Assert.True(request.IsTerminal);
    }

    [Fact]
    public void Cancel_Approved_WrongState()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse(approvals: 0, presence: false));

        // Act
        var e = Assert.Throws<CustodyException>(() => request.Cancel("", s_now));

        // Assert
        Assert.Equal(CustodyStatus.WrongState, e.Status);
        Assert.Equal(SigningRequestState.Approved, request.State);
    }

    [Fact]
    public void MarkSigned_BeforeApprovals_WrongStateSaysWhatIsMissing()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse(approvals: 2));

        // Act
        var e = Assert.Throws<CustodyException>(() => request.MarkSigned(s_now));

        // Assert
        Assert.Equal(CustodyStatus.WrongState, e.Status);
        Assert.Equal("Request req-1 still needs 2 more approval(s) from group \"release-officers\".", e.Message);
    }

    [Fact]
    public void MarkSigned_Approved_Signed()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse(approvals: 0, presence: false));

        // Act
        request.MarkSigned(s_now.AddSeconds(1));

        // Assert
        Assert.Equal(SigningRequestState.Signed, request.State);
        Assert.Equal(s_now.AddSeconds(1), request.CompletedAt);
    }

    [Fact]
    public void MarkFailed_FromApproved_FailedAndTerminal()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse(approvals: 0, presence: false));

        // Act
        request.MarkFailed("HSM unavailable", s_now);
        var e = Assert.Throws<CustodyException>(() => request.MarkFailed("again", s_now));

        // Assert
        Assert.Equal(SigningRequestState.Failed, request.State);
        Assert.Equal("HSM unavailable", request.StateReason);
        Assert.Equal(CustodyStatus.WrongState, e.Status);
    }

    [Fact]
    public void ExpireIfDue_BeforeAtAndAfterExpiry_MovesOnce()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse());

        // Act
        bool early = request.ExpireIfDue(request.ExpiresAt.AddTicks(-1));
        bool due = request.ExpireIfDue(request.ExpiresAt);
        bool again = request.ExpireIfDue(request.ExpiresAt.AddDays(1));

        // Assert
        Assert.False(early);
        Assert.True(due);
        Assert.False(again);
        Assert.Equal(SigningRequestState.Expired, request.State);
    }

    [Fact]
    public void ToSnapshot_JsonRoundTrip_RebuildsEqualRequest()
    {
        // Arrange
        SigningRequest request = Create(PolicyDocuments.Parse());
        request.AddVote(new ApprovalRecord(ApprovalAction.Approve, ["alice"], "SHA256:abc", s_now, s_now.AddHours(1), new string('a', 64), "-----BEGIN SSH SIGNATURE-----\n..."), s_now);

        // Act
        string json = request.ToSnapshot().ToJson();
        SigningRequest restored = SigningRequest.FromSnapshot(SigningRequestSnapshot.FromJson(json));

        // Assert
        Assert.Equal(request.ToSnapshot(), restored.ToSnapshot());
        Assert.Equal(json, restored.ToSnapshot().ToJson());
        Assert.Equal(1, restored.LiveApprovals(s_now));
        Assert.Equal(request.PresenceCode, restored.PresenceCode);
        Assert.Contains("\"state\":\"awaitingApprovals\"", json);
        Assert.Contains("\"digestAlgorithm\":\"sha256\"", json);
    }

    [Fact]
    public void FromSnapshot_Inconsistent_InvalidArgument()
    {
        // Arrange: a request cannot own the button without a deadline.
        SigningRequestSnapshot snapshot = Create(PolicyDocuments.Parse()).ToSnapshot() with { State = SigningRequestState.PresenceActive };

        // Act
        var e = Assert.Throws<CustodyException>(() => SigningRequest.FromSnapshot(snapshot));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains("presence deadline", e.Message);
    }

    [Fact]
    public void FromJson_UnknownField_InvalidArgument()
    {
        // Arrange
        string json = Create(PolicyDocuments.Parse()).ToSnapshot().ToJson().Replace("{\"id\"", "{\"surprise\":1,\"id\"");

        // Act
        var e = Assert.Throws<CustodyException>(() => SigningRequestSnapshot.FromJson(json));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
    }

    [Fact]
    public void PresenceCode_SameRequest_FourStableCharacters()
    {
        // Arrange
        KeyPolicy policy = PolicyDocuments.Parse();

        // Act
        string a = Create(policy).PresenceCode;
        string aAgain = Create(policy).PresenceCode;
        string otherNonce = Create(policy, nonce: "b3RoZXItbm9uY2Utb3RoZXI").PresenceCode;
        string otherId = Create(policy, id: "req-2").PresenceCode;

        // Assert
        Assert.Equal(PresenceCode.Length, a.Length);
        Assert.Matches("^[0-9A-HJKMNP-TV-Z]{4}$", a);
        Assert.Equal(a, aAgain);
        Assert.Equal(PresenceCode.Derive("req-1", Nonce), a);
        Assert.NotEqual(a, otherNonce);
        Assert.NotEqual(a, otherId);
    }

    [Fact]
    public void PresenceCode_ManyRequests_RarelyCollide()
    {
        // Act: codes of many requests should rarely collide (20 bits each).
        var codes = Enumerable.Range(0, 500).Select(i => PresenceCode.Derive($"req-{i}", Nonce)).ToHashSet();

        // Assert
        Assert.True(codes.Count >= 495, $"only {codes.Count} distinct codes out of 500");
    }
}
