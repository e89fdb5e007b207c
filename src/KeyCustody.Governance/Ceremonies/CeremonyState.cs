// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Governance.Ceremonies;

/// <summary>Where a ceremony is. Values match <c>keycustody.v1.CeremonyState</c>.</summary>
public enum CeremonyState
{
    /// <summary>Collecting custodian endorsements.</summary>
    AwaitingEndorsements = 1,
    /// <summary>Quorum reached; waiting for the button.</summary>
    AwaitingPresence = 2,
    /// <summary>Took effect.</summary>
    Executed = 3,
    /// <summary>Quorum was not reached before the proposal expired.</summary>
    Expired = 4,
    /// <summary>Quorum was reached but executing failed; nothing changed.</summary>
    Failed = 5,
}
