// SPDX-License-Identifier: Apache-2.0
using Google.Protobuf;
using KeyCustody.Cli.Output;
using KeyCustody.Protocol.V1;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class SignProgressTests
{
    private static SigningRequest Request(SigningRequestState state, int received, params string[] approvers)
    {
        var request = new SigningRequest
        {
            RequestId = "r-1",
            Key = "dev-release",
            Digest = new Digest { Algorithm = DigestAlgorithm.Sha256, Value = ByteString.CopyFrom(new byte[32]) },
            PolicyVersion = 3,
            State = state,
            ApprovalsRequired = 2,
            ApprovalsReceived = received,
            ApproverGroup = "release-officers",
        };
        request.Approvals.AddRange(approvers.Select(a => new ApprovalRecord { Officer = a, Approve = true, SshKeyFingerprint = "SHA256:" + a }));
        return request;
    }

    [Fact]
    public void Describe_FirstSight_NamesRequestDigestAndWhatItWaitsFor()
    {
        // Arrange
        SigningRequest current = Request(SigningRequestState.AwaitingApprovals, 0);

        // Act
        IReadOnlyList<string> lines = SignProgress.Describe(null, current);

        // Assert
        Assert.Equal(2, lines.Count);
        Assert.Equal("request r-1 for key dev-release: sha256:" + new string('0', 64) + " (policy v3)", lines[0]);
        Assert.Equal("waiting for approvals: 0/2 from group release-officers", lines[1]);
    }

    [Fact]
    public void Describe_NewApproval_PrintsOfficerAndCount()
    {
        // Arrange
        SigningRequest before = Request(SigningRequestState.AwaitingApprovals, 0);
        SigningRequest after = Request(SigningRequestState.AwaitingApprovals, 1, "alice");

        // Act
        IReadOnlyList<string> lines = SignProgress.Describe(before, after);

        // Assert
        Assert.Equal(["approved by alice (SHA256:alice) - approvals 1/2"], lines);
    }

    [Fact]
    public void Describe_PresenceActive_ShowsTheCode()
    {
        // Arrange
        SigningRequest before = Request(SigningRequestState.AwaitingPresence, 2, "alice", "bob");
        SigningRequest after = Request(SigningRequestState.PresenceActive, 2, "alice", "bob");
        after.PresenceCode = "4821";

        // Act
        IReadOnlyList<string> lines = SignProgress.Describe(before, after);

        // Assert
        Assert.Equal(["press the button on the appliance now, code 4821 (a long press denies)"], lines);
    }

    [Fact]
    public void Describe_Denied_GivesReason()
    {
        // Arrange
        SigningRequest before = Request(SigningRequestState.PresenceActive, 2, "alice", "bob");
        SigningRequest after = Request(SigningRequestState.Denied, 2, "alice", "bob");
        after.StateReason = "long press on the presence button";

        // Act
        IReadOnlyList<string> lines = SignProgress.Describe(before, after);

        // Assert
        Assert.Equal(["denied: long press on the presence button"], lines);
    }

    [Fact]
    public void Describe_NoChange_PrintsNothing()
    {
        // Arrange
        SigningRequest before = Request(SigningRequestState.AwaitingApprovals, 1, "alice");
        SigningRequest after = before.Clone();

        // Act
        IReadOnlyList<string> lines = SignProgress.Describe(before, after);

        // Assert
        Assert.Empty(lines);
    }
}
