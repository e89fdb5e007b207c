// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Cli.Parsing;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Output;

/// <summary>
/// Turns successive states of one signing request into the lines <c>keycustody sign --wait</c> prints while it
/// waits: each new approval, "quorum met", "press the button, code 4821", the outcome.
/// </summary>
public static class SignProgress
{
    /// <summary>The lines that describe the change from <paramref name="previous"/> (null = first sight) to <paramref name="current"/>.</summary>
    public static IReadOnlyList<string> Describe(SigningRequest? previous, SigningRequest current)
    {
        var lines = new List<string>();
        if (previous is null)
        {
            lines.Add($"request {current.RequestId} for key {current.Key}: {SchemeText.Format(current.Digest)} (policy v{current.PolicyVersion})");
        }

        int seen = previous?.Approvals.Count ?? 0;
        foreach (ApprovalRecord approval in current.Approvals.Skip(seen))
        {
            string verb = approval.Approve ? "approved" : "denied";
            lines.Add($"{verb} by {approval.Officer} ({approval.SshKeyFingerprint}) - approvals {current.ApprovalsReceived}/{current.ApprovalsRequired}");
        }

        bool stateChanged = previous is null || previous.State != current.State;
        if (!stateChanged && previous!.PresenceCode == current.PresenceCode)
        {
            return lines;
        }

        switch (current.State)
        {
            case SigningRequestState.AwaitingApprovals when previous is null:
                lines.Add($"waiting for approvals: {current.ApprovalsReceived}/{current.ApprovalsRequired}"
                    + (current.ApproverGroup.Length > 0 ? $" from group {current.ApproverGroup}" : string.Empty)
                    + (current.ExpiresAt is { } expires ? $" (expires {expires.ToDateTimeOffset():u})" : string.Empty));
                break;
            case SigningRequestState.AwaitingPresence:
                lines.Add($"quorum met ({current.ApprovalsReceived}/{current.ApprovalsRequired}); queued for the presence button");
                break;
            case SigningRequestState.PresenceActive:
                lines.Add($"press the button on the appliance now, code {PresenceCode(current)} (a long press denies)");
                break;
            case SigningRequestState.Signed:
                lines.Add("signed");
                break;
            case SigningRequestState.Denied or SigningRequestState.Expired or SigningRequestState.Cancelled or SigningRequestState.Failed:
                lines.Add(SchemeText.Name(current.State) + (current.StateReason.Length > 0 ? ": " + current.StateReason : string.Empty));
                break;
        }

        return lines;
    }

    private static string PresenceCode(SigningRequest request) => request.PresenceCode.Length > 0 ? request.PresenceCode : "(none shown)";
}
