// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

/// <summary>Every quorum rule, each violated once, with signatures made by the real ssh-keygen.</summary>
public sealed class ApprovalProcessorTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    private static readonly CallerIdentity s_ci = new("CN=ci-release,O=Example", ["spiffe://example.org/ci/release"]);
    private static readonly byte[] s_digest = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");
    private const string Group = "release-officers";

    private readonly FakeTimeProvider _time = new();

    private ApprovalProcessor Processor => new(_time);

    private DateTimeOffset Now => _time.GetUtcNow();

    private Roster DefaultRoster(long version = 1, params string[] groupOfCarol) => new(
        [
            new Officer("alice", [keys["alice"]], [Group], ["CN=alice-ci"]),
            new Officer("bob", [keys["bob"]], [Group]),
            new Officer("carol", [keys["carol"]], groupOfCarol.Length == 0 ? [Group] : groupOfCarol),
            new Officer("dave", [keys["dave"]], ["ops"]),
            new Officer("erin", [keys["erin"]], [Group]),
        ],
        [],
        version);

    private SigningRequest NewRequest(KeyPolicy? policy = null, string id = "req-1", CallerIdentity? requester = null) =>
        SigningRequest.Create(id, policy ?? PolicyDocuments.Parse(approvals: 2, presence: true), requester ?? s_ci,
            DigestAlgorithm.Sha256, s_digest, StatementText.NewNonce(), Now);

    private async Task<(byte[] Statement, string Signature)> SignAsync(SigningRequest request, string signer,
        ApprovalAction action = ApprovalAction.Approve, string ns = SshNamespaces.Approval)
    {
        byte[] statement = request.CreateStatement(action, Now).ToBytes();
        return (statement, await keys.SignAsync(signer, statement, ns));
    }

    private async Task<VoteResult> VoteAsync(SigningRequest request, string signer, ApprovalAction action = ApprovalAction.Approve, Roster? roster = null)
    {
        (byte[] statement, string signature) = await SignAsync(request, signer, action);
        return Processor.Submit(request, roster ?? DefaultRoster(), action, statement, signature);
    }

    [Fact]
    public async Task Submit_TwoDistinctOfficers_QuorumReachedAwaitingPresence()
    {
        // Arrange
        SigningRequest request = NewRequest();

        // Act
        VoteResult first = await VoteAsync(request, "alice");
        _time.Advance(TimeSpan.FromMinutes(5));
        VoteResult second = await VoteAsync(request, "erin");

        // Assert
        Assert.Equal(SigningRequestState.AwaitingApprovals, first.After);
        Assert.False(first.QuorumReached);
        Assert.True(second.QuorumReached);
        Assert.Equal(SigningRequestState.AwaitingPresence, request.State);
        Assert.Equal(Now, request.QuorumReachedAt);
        Assert.Equal(["alice", "erin"], request.Votes.Select(v => v.Officer));
        Assert.Equal(keys["erin"].Fingerprint, request.Votes[1].KeyFingerprint);
        Assert.Equal(2, request.LiveApprovals(Now));
    }

    [Fact]
    public async Task Submit_QuorumWithoutPresence_ApprovedThenSignable()
    {
        // Arrange
        SigningRequest request = NewRequest(PolicyDocuments.Parse(approvals: 2, presence: false));

        // Act
        await VoteAsync(request, "bob");
        VoteResult result = await VoteAsync(request, "carol");
        request.MarkSigned(Now);

        // Assert
        Assert.Equal(SigningRequestState.Approved, result.After);
        Assert.Equal(SigningRequestState.Signed, request.State);
    }

    [Fact]
    public async Task Submit_RecordKeepsEvidenceThatReverifies()
    {
        // Arrange
        SigningRequest request = NewRequest();

        // Act
        VoteResult result = await VoteAsync(request, "alice");

        // Assert: the stored statement can be rebuilt from the request and the record, and the signature still verifies.
        byte[] rebuilt = request.StatementFor(result.Record.Action, result.Record.StatementExpiresAt).ToBytes();
        VerifiedSshSignature again = SshSignatureVerifier.Verify(rebuilt, result.Record.Signature, SshNamespaces.Approval);
        Assert.Equal(keys["alice"], again.Signer);
        Assert.Equal(again.Signature.BlobSha256, result.Record.SignatureSha256);
    }

    [Fact]
    public async Task Submit_KeyNotEnrolled_Unauthenticated()
    {
        // Arrange
        SigningRequest request = NewRequest();

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "frank"));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Equal($"The signing key {keys["frank"].Fingerprint} is not enrolled for any officer.", e.Message);
        Assert.Empty(request.Votes);
    }

    [Fact]
    public async Task Submit_SameKeyTwice_CountsOnce_AlreadyExists()
    {
        // Arrange: a second, different signature by alice (a fresh statement a minute later).
        SigningRequest request = NewRequest();
        await VoteAsync(request, "alice");
        _time.Advance(TimeSpan.FromMinutes(1));

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "alice"));

        // Assert
        Assert.Equal(CustodyStatus.AlreadyExists, e.Status);
        Assert.Equal("Officer alice has already approved request req-1; each officer counts once.", e.Message);
        Assert.Equal(1, request.LiveApprovals(Now));
        Assert.Equal(SigningRequestState.AwaitingApprovals, request.State);
    }

    [Fact]
    public async Task Submit_TwoKeysOfOneOfficer_CountOnce_AlreadyExists()
    {
        // Arrange: alice holds two keys.
        var roster = new Roster([new Officer("alice", [keys["alice"], keys["erin"]], [Group]), new Officer("bob", [keys["bob"]], [Group])], []);
        SigningRequest request = NewRequest();
        await VoteAsync(request, "alice", roster: roster);

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "erin", roster: roster));

        // Assert
        Assert.Equal(CustodyStatus.AlreadyExists, e.Status);
        Assert.Contains("Officer alice has already approved", e.Message);
    }

    [Fact]
    public async Task Submit_TwoNamesSharingOneKey_CountOnce()
    {
        // Arrange: bob and robert are enrolled with the same key; robert also has a key of his own (dave's).
        var roster = new Roster(
            [
                new Officer("bob", [keys["bob"]], [Group]),
                new Officer("robert", [keys["bob"], keys["dave"]], [Group]),
                new Officer("alice", [keys["alice"]], [Group]),
            ],
            []);
        SigningRequest request = NewRequest();

        // Act
        VoteResult shared = await VoteAsync(request, "bob", roster: roster);
        var viaOwnKey = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "dave", roster: roster));
        VoteResult alice = await VoteAsync(request, "alice", roster: roster);

        // Assert
        Assert.Equal(["bob", "robert"], shared.Record.Officers);
        Assert.Equal(CustodyStatus.AlreadyExists, viaOwnKey.Status);
        Assert.Contains("Officer bob has already approved", viaOwnKey.Message);
        Assert.True(alice.QuorumReached);
        Assert.Single(roster.SharedKeys);
    }

    [Fact]
    public async Task Submit_OfficersLinkedThroughAnotherSharedKey_CountOnce()
    {
        // Arrange: alice {alice, carol}, bob {carol, bob}: they share the carol key; bob signs with his own.
        var roster = new Roster(
            [new Officer("alice", [keys["alice"], keys["carol"]], [Group]), new Officer("bob", [keys["carol"], keys["bob"]], [Group])],
            []);
        SigningRequest request = NewRequest();
        await VoteAsync(request, "alice", roster: roster);

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "bob", roster: roster));

        // Assert
        Assert.Equal(CustodyStatus.AlreadyExists, e.Status);
        Assert.Contains("officers sharing a key count once", e.Message);
    }

    [Fact]
    public async Task Submit_SameSignatureTwice_ReplayRejected()
    {
        // Arrange
        SigningRequest request = NewRequest();
        (byte[] statement, string signature) = await SignAsync(request, "alice");
        Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Replay rejected: this signature was already submitted for request req-1.", e.Message);
        Assert.Single(request.Votes);
    }

    [Fact]
    public async Task Submit_StatementOfOtherRequest_ReplayRejected()
    {
        // Arrange
        SigningRequest first = NewRequest(id: "req-1");
        SigningRequest second = NewRequest(id: "req-2");
        (byte[] statement, string signature) = await SignAsync(first, "alice");

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(second, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Replay rejected: the statement was issued for request req-1, not req-2.", e.Message);
    }

    [Fact]
    public async Task Submit_NonceOfOtherRequest_ReplayRejected()
    {
        // Arrange: a statement naming req-2 but carrying req-1's nonce.
        SigningRequest first = NewRequest(id: "req-1");
        SigningRequest second = NewRequest(id: "req-2");
        ApprovalStatement honest = second.CreateStatement(ApprovalAction.Approve, Now);
        byte[] statement = new ApprovalStatement("req-2", ApprovalAction.Approve, second.Key, DigestAlgorithm.Sha256, s_digest,
            s_ci.Subject, honest.PolicyVersion, first.Nonce, honest.ExpiresAt).ToBytes();
        string signature = await keys.SignAsync("alice", statement, SshNamespaces.Approval);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(second, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Replay rejected: the statement's nonce is not the nonce of request req-2.", e.Message);
    }

    [Fact]
    public async Task Submit_RequesterOwnedByOfficer_CannotApprove()
    {
        // Arrange: alice owns CN=alice-ci.
        SigningRequest request = NewRequest(requester: new CallerIdentity("CN=alice-ci"));

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "alice"));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Officer alice owns the requesting identity 'CN=alice-ci' and cannot approve their own request req-1.", e.Message);
    }

    [Fact]
    public async Task Submit_RequesterIsOfficerByName_CannotApprove()
    {
        // Arrange: bob submitted through a client certificate naming him.
        SigningRequest request = NewRequest(requester: new CallerIdentity("CN=runner", ["bob"]));

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "bob"));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Contains("Officer bob owns the requesting identity", e.Message);
    }

    [Fact]
    public async Task Submit_RequesterDeniesOwnRequest_Allowed()
    {
        // Arrange
        SigningRequest request = NewRequest(requester: new CallerIdentity("CN=alice-ci"));

        // Act
        VoteResult result = await VoteAsync(request, "alice", ApprovalAction.Deny);

        // Assert
        Assert.True(result.Denied);
        Assert.Equal("denied by alice", request.StateReason);
    }

    [Fact]
    public async Task Submit_OfficerNotInGroup_PermissionDenied()
    {
        // Arrange
        SigningRequest request = NewRequest();

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "dave"));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, e.Status);
        Assert.Equal("Officer dave is not in group \"release-officers\", which policy v3 of key 'release' requires.", e.Message);
    }

    [Fact]
    public async Task Submit_GroupMembershipCheckedAtApprovalTime()
    {
        // Arrange: carol was in the group when the request was made, but not when she approves; dave joined since.
        SigningRequest request = NewRequest();
        Roster later = new(
            [
                new Officer("carol", [keys["carol"]], ["ops"]),
                new Officer("dave", [keys["dave"]], ["ops", Group]),
            ],
            [],
            2);

        // Act
        var carol = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "carol", roster: later));
        VoteResult dave = await VoteAsync(request, "dave", roster: later);

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, carol.Status);
        Assert.Equal(["dave"], dave.Record.Officers);
    }

    [Fact]
    public async Task Submit_StatementForDifferentDigest_InvalidArgumentNamingField()
    {
        // Arrange: same request id and nonce, another digest.
        SigningRequest request = NewRequest();
        ApprovalStatement honest = request.CreateStatement(ApprovalAction.Approve, Now);
        byte[] statement = new ApprovalStatement(request.Id, ApprovalAction.Approve, request.Key, DigestAlgorithm.Sha256, new byte[32],
            honest.Requester, honest.PolicyVersion, honest.Nonce, honest.ExpiresAt).ToBytes();
        string signature = await keys.SignAsync("alice", statement, SshNamespaces.Approval);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Equal(
            $"The statement does not match request req-1: digest is 'sha256:{new string('0', 64)}' but the request has 'sha256:{Convert.ToHexStringLower(s_digest)}'. Fetch the statement again and sign it unchanged.",
            e.Message);
    }

    [Fact]
    public async Task Submit_StatementForOtherPolicyVersion_InvalidArgument()
    {
        // Arrange
        SigningRequest request = NewRequest();
        ApprovalStatement honest = request.CreateStatement(ApprovalAction.Approve, Now);
        byte[] statement = new ApprovalStatement(request.Id, ApprovalAction.Approve, request.Key, DigestAlgorithm.Sha256, s_digest,
            honest.Requester, 2, honest.Nonce, honest.ExpiresAt).ToBytes();
        string signature = await keys.SignAsync("bob", statement, SshNamespaces.Approval);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains("policy-version is '2' but the request has '3'", e.Message);
    }

    [Fact]
    public async Task Submit_SignatureOverOtherBytes_Unauthenticated()
    {
        // Arrange: alice signed the statement, then the submitted statement was swapped for a later one.
        SigningRequest request = NewRequest();
        (_, string signature) = await SignAsync(request, "alice");
        _time.Advance(TimeSpan.FromMinutes(1));
        byte[] other = request.CreateStatement(ApprovalAction.Approve, Now).ToBytes();

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, other, signature));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("does not match the message", e.Message);
    }

    [Fact]
    public async Task Submit_NonCanonicalStatementBytes_InvalidArgument()
    {
        // Arrange: the officer's editor turned LF into CRLF before signing.
        SigningRequest request = NewRequest();
        byte[] crlf = Encoding.UTF8.GetBytes(request.CreateStatement(ApprovalAction.Approve, Now).ToText().Replace("\n", "\r\n"));
        string signature = await keys.SignAsync("alice", crlf, SshNamespaces.Approval);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, crlf, signature));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Equal("Not a KeyCustody approval statement: the statement must use LF line endings, not CRLF.", e.Message);
    }

    [Fact]
    public async Task Submit_WrongNamespace_Unauthenticated()
    {
        // Arrange
        SigningRequest request = NewRequest();
        (byte[] statement, string signature) = await SignAsync(request, "alice", ns: SshNamespaces.Ceremony);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("namespace 'keycustody-ceremony', expected 'keycustody-approval'", e.Message);
    }

    [Fact]
    public async Task Submit_DenyStatementSentAsApproval_InvalidArgument()
    {
        // Arrange
        SigningRequest request = NewRequest();
        (byte[] statement, string signature) = await SignAsync(request, "alice", ApprovalAction.Deny);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Equal("The statement says 'deny' but was submitted to approve; sign the approve statement.", e.Message);
    }

    [Fact]
    public async Task Submit_StatementExpired_Expired()
    {
        // Arrange: validity 1h; the officer signs, then submits 61 minutes later.
        SigningRequest request = NewRequest();
        (byte[] statement, string signature) = await SignAsync(request, "alice");
        _time.Advance(TimeSpan.FromMinutes(61));

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.Expired, e.Status);
        Assert.Equal("The approve statement signed by alice expired at 2025-03-03T11:00:00Z; fetch a fresh statement and sign it again.", e.Message);
        Assert.Equal(SigningRequestState.AwaitingApprovals, request.State);
    }

    [Fact]
    public async Task Submit_ExpiryLongerThanPolicyAllows_InvalidArgument()
    {
        // Arrange: a hand-written statement valid for 3 hours (policy validity is 1h).
        SigningRequest request = NewRequest();
        byte[] statement = request.StatementFor(ApprovalAction.Approve, Now.AddHours(3)).ToBytes();
        string signature = await keys.SignAsync("alice", statement, SshNamespaces.Approval);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains("later than policy v3 allows", e.Message);
    }

    [Fact]
    public async Task Submit_ApprovalLapses_NoLongerCounts_UntilRenewed()
    {
        // Arrange
        SigningRequest request = NewRequest();
        await VoteAsync(request, "alice");
        _time.Advance(TimeSpan.FromMinutes(65));

        // Act
        VoteResult bob = await VoteAsync(request, "bob");
        int liveAfterBob = request.LiveApprovals(Now);
        VoteResult aliceAgain = await VoteAsync(request, "alice");

        // Assert: alice's first approval lapsed, so bob's alone was not a quorum; her renewal completes it.
        Assert.False(bob.QuorumReached);
        Assert.Equal(1, liveAfterBob);
        Assert.True(aliceAgain.QuorumReached);
        Assert.Equal(3, request.Votes.Count);
    }

    [Fact]
    public async Task Submit_SingleDenial_EndsRequest_FurtherVotesWrongState()
    {
        // Arrange
        SigningRequest request = NewRequest();
        await VoteAsync(request, "alice");

        // Act
        VoteResult denial = await VoteAsync(request, "bob", ApprovalAction.Deny);
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "carol"));

        // Assert
        Assert.True(denial.Denied);
        Assert.Equal(SigningRequestState.Denied, request.State);
        Assert.Equal("denied by bob", request.StateReason);
        Assert.Equal(CustodyStatus.WrongState, e.Status);
        Assert.Equal("Request req-1 is denied (denied by bob) and takes no more approvals.", e.Message);
    }

    [Fact]
    public async Task Submit_TwoDenialsConfigured_OneIsNotEnough()
    {
        // Arrange
        SigningRequest request = NewRequest(PolicyDocuments.Parse(approvals: 2, denials: 2));

        // Act
        VoteResult first = await VoteAsync(request, "alice", ApprovalAction.Deny);
        VoteResult second = await VoteAsync(request, "bob", ApprovalAction.Deny);

        // Assert
        Assert.False(first.Denied);
        Assert.Equal(SigningRequestState.AwaitingApprovals, first.After);
        Assert.True(second.Denied);
        Assert.Equal("denied by alice, bob", request.StateReason);
    }

    [Fact]
    public async Task Submit_OfficerWhoDeniedCannotAlsoApprove()
    {
        // Arrange
        SigningRequest request = NewRequest(PolicyDocuments.Parse(approvals: 2, denials: 2));
        await VoteAsync(request, "alice", ApprovalAction.Deny);

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => VoteAsync(request, "alice"));

        // Assert
        Assert.Equal(CustodyStatus.AlreadyExists, e.Status);
        Assert.Equal("Officer alice has already denied request req-1; each officer counts once.", e.Message);
    }

    [Fact]
    public async Task Submit_DenialWhileAwaitingPresence_Denied()
    {
        // Arrange
        SigningRequest request = NewRequest();
        await VoteAsync(request, "alice");
        await VoteAsync(request, "bob");

        // Act
        VoteResult denial = await VoteAsync(request, "carol", ApprovalAction.Deny);

        // Assert
        Assert.Equal(SigningRequestState.AwaitingPresence, denial.Before);
        Assert.True(denial.Denied);
    }

    [Fact]
    public async Task Submit_ApprovalAfterQuorum_WrongState()
    {
        // Arrange
        SigningRequest request = NewRequest();
        await VoteAsync(request, "alice");
        await VoteAsync(request, "bob");
        byte[] late = request.StatementFor(ApprovalAction.Approve, Now.AddMinutes(30)).ToBytes();
        string signature = await keys.SignAsync("carol", late, SshNamespaces.Approval);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, late, signature));

        // Assert
        Assert.Equal(CustodyStatus.WrongState, e.Status);
        Assert.Contains("awaits the presence button; it takes no more approvals", e.Message);
    }

    [Fact]
    public async Task Submit_RequestExpired_ExpiredAndStateMoves()
    {
        // Arrange: the statement is signed in time, the request expires before it is submitted.
        SigningRequest request = NewRequest(PolicyDocuments.Parse(expiry: "30m", validity: "1h", window: "1m"));
        (byte[] statement, string signature) = await SignAsync(request, "alice");
        _time.Advance(TimeSpan.FromMinutes(30));

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, signature));

        // Assert
        Assert.Equal(CustodyStatus.Expired, e.Status);
        Assert.Equal(SigningRequestState.Expired, request.State);
        Assert.Equal("Request req-1 expired at 2025-03-03T10:30:00Z before it was completed.", e.Message);
    }

    [Fact]
    public void Submit_GarbageSignature_InvalidArgument()
    {
        // Arrange
        SigningRequest request = NewRequest();
        byte[] statement = request.CreateStatement(ApprovalAction.Approve, Now).ToBytes();

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, DefaultRoster(), ApprovalAction.Approve, statement, "not a signature"));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.StartsWith("Not a valid SSH signature:", e.Message);
    }

    [Theory]
    [InlineData(SshKeyType.SkEcdsaP256)]
    [InlineData(SshKeyType.SkEd25519)]
    public void Submit_SecurityKeyOfficer_NeedsUserPresence(SshKeyType type)
    {
        // Arrange
        using SkSigner token = SkSigner.Create(type);
        var roster = new Roster([new Officer("sam", [token.PublicKey], [Group])], []);
        SigningRequest request = NewRequest(PolicyDocuments.Parse(approvals: 1, presence: false));
        byte[] statement = request.CreateStatement(ApprovalAction.Approve, Now).ToBytes();
        string untouched = token.Sign(statement, SshNamespaces.Approval, flags: 0x00);
        string touched = token.Sign(statement, SshNamespaces.Approval, flags: 0x01);

        // Act
        var e = Assert.Throws<CustodyException>(() => Processor.Submit(request, roster, ApprovalAction.Approve, statement, untouched));
        VoteResult result = Processor.Submit(request, roster, ApprovalAction.Approve, statement, touched);

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, e.Status);
        Assert.Contains("lacks the user-presence flag", e.Message);
        Assert.True(result.QuorumReached);
        Assert.Equal(SigningRequestState.Approved, request.State);
    }

    [Fact]
    public async Task MayVote_GroupRequesterAndEarlierVotes_Reflected()
    {
        // Arrange: alice owns the requesting identity; bob will approve; dave is not in the group.
        Roster roster = DefaultRoster();
        SigningRequest request = NewRequest(requester: new CallerIdentity("CN=alice-ci"));
        bool bobBefore = ApprovalProcessor.MayVote(request, roster.FindOfficer("bob")!, roster, ApprovalAction.Approve, Now);
        await VoteAsync(request, "bob", roster: roster);

        // Act
        bool bobAfter = ApprovalProcessor.MayVote(request, roster.FindOfficer("bob")!, roster, ApprovalAction.Approve, Now);
        bool aliceApprove = ApprovalProcessor.MayVote(request, roster.FindOfficer("alice")!, roster, ApprovalAction.Approve, Now);
        bool aliceDeny = ApprovalProcessor.MayVote(request, roster.FindOfficer("alice")!, roster, ApprovalAction.Deny, Now);
        bool dave = ApprovalProcessor.MayVote(request, roster.FindOfficer("dave")!, roster, ApprovalAction.Approve, Now);
        bool carol = ApprovalProcessor.MayVote(request, roster.FindOfficer("carol")!, roster, ApprovalAction.Approve, Now);
        bool carolAfterExpiry = ApprovalProcessor.MayVote(request, roster.FindOfficer("carol")!, roster, ApprovalAction.Approve, request.ExpiresAt);

        // Assert
        Assert.True(bobBefore);
        Assert.False(bobAfter);
        Assert.False(aliceApprove);
        Assert.True(aliceDeny);
        Assert.False(dave);
        Assert.True(carol);
        Assert.False(carolAfterExpiry);
    }
}
