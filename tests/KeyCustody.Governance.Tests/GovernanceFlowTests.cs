// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Xunit;

namespace KeyCustody.Governance.Tests;

/// <summary>
/// The high-risk flow of the architecture, steps 1–4, through the pure types only, persisting and restoring the
/// request between every step as the daemon would.
/// </summary>
public sealed class GovernanceFlowTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    [Fact]
    public async Task HighRiskRequest_SubmitApproveApprovePress_Signed()
    {
        // Arrange: Wednesday 10:00 in Berlin (inside the policy's office hours).
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 15, 9, 0, 0, TimeSpan.Zero));
        KeyPolicy policy = KeyPolicy.Parse(PolicyDocuments.HighRisk);
        var roster = new Roster(
            [new Officer("alice", [keys["alice"]], ["release-officers"]), new Officer("erin", [keys["erin"]], ["release-officers"])],
            []);
        Assert.Empty(policy.ValidateAgainst(roster));
        var caller = new CallerIdentity("CN=ci-release,O=Example");
        byte[] digest = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("artifact"));
        var processor = new ApprovalProcessor(time);
        var presence = new PresenceCoordinator(time);

        // Act
        // 1. Submit.
        SubmissionPolicy.Enforce(policy, new SubmissionContext(caller, policy.Key, DigestAlgorithm.Sha256, digest, time.GetUtcNow(), [], 0));
        string stored = SigningRequest.Create("req-42", policy, caller, DigestAlgorithm.Sha256, digest, StatementText.NewNonce(), time.GetUtcNow())
            .ToSnapshot().ToJson();

        // 2. Two officers approve with ssh-keygen.
        foreach (string officer in new[] { "alice", "erin" })
        {
            time.Advance(TimeSpan.FromMinutes(3));
            SigningRequest request = SigningRequest.FromSnapshot(SigningRequestSnapshot.FromJson(stored));
            byte[] statement = request.CreateStatement(ApprovalAction.Approve, time.GetUtcNow()).ToBytes();
            string signature = await keys.SignAsync(officer, statement, SshNamespaces.Approval);
            processor.Submit(request, roster, ApprovalAction.Approve, statement, signature);
            stored = request.ToSnapshot().ToJson();
        }

        // 3. Quorum reached: queue for the button; someone at the box presses it.
        SigningRequest awaiting = SigningRequest.FromSnapshot(SigningRequestSnapshot.FromJson(stored));
        IReadOnlyList<PresenceEvent> activated = presence.Enqueue(awaiting);
        LedState ledWhileWaiting = presence.Led;
        string? code = presence.OwnerCode;
        time.Advance(TimeSpan.FromSeconds(20));
        IReadOnlyList<PresenceEvent> confirmed = presence.OnPress(new ButtonPress(time.GetUtcNow().AddMilliseconds(-400), TimeSpan.FromMilliseconds(400)));

        // 4. Sign (the HSM part belongs to the daemon).
        awaiting.MarkSigned(time.GetUtcNow());

        // Assert
        Assert.Equal(PresenceEventKind.Activated, Assert.Single(activated).Kind);
        Assert.Equal(LedState.Blink, ledWhileWaiting);
        Assert.Equal(awaiting.PresenceCode, code);
        Assert.Equal(PresenceEventKind.Confirmed, Assert.Single(confirmed).Kind);
        Assert.Equal(LedState.Off, presence.Led);
        Assert.Equal(SigningRequestState.Signed, awaiting.State);
        Assert.Equal(["alice", "erin"], awaiting.Votes.Select(v => v.Officer));
        Assert.All(awaiting.Votes, v => Assert.Equal(ApprovalAction.Approve, v.Action));
    }
}
