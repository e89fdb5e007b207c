// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Audit;

/// <summary>
/// The stable <c>"type"</c> values of audit entries. A type is never renamed once released: verifiers and
/// monitors filter on it. Suggested fields for each are listed in the Audit README.
/// </summary>
public static class AuditEventTypes
{
    /// <summary>The daemon started and the audit log opened (version, config digest).</summary>
    public const string ApplianceStarted = "appliance.started";
    /// <summary>The daemon is stopping (reason).</summary>
    public const string ApplianceStopping = "appliance.stopping";
    /// <summary>The HSM PIN was unsealed from the TPM (sealed object name, PCR policy digest; never the PIN).</summary>
    public const string SecretUnsealed = "tpm.unsealed";
    /// <summary>Unsealing failed, for example because the boot state changed (status).</summary>
    public const string SecretUnsealFailed = "tpm.unseal_failed";
    /// <summary>The audit log was reopened after a durability failure (durable size found).</summary>
    public const string AuditRecovered = "audit.recovered";

    /// <summary>A CI client submitted a signing request (request id, key, digest, requester, policy version).</summary>
    public const string SigningRequested = "signing.requested";
    /// <summary>An officer approved a request (request id, officer, statement digest).</summary>
    public const string SigningApproved = "signing.approved";
    /// <summary>An officer or a long press denied a request (request id, by whom, reason).</summary>
    public const string SigningDenied = "signing.denied";
    /// <summary>Quorum reached; the request now owns the presence button (request id, short code).</summary>
    public const string PresenceRequested = "signing.presence_requested";
    /// <summary>A press confirmed presence for a request (request id, press time).</summary>
    public const string PresenceConfirmed = "signing.presence_confirmed";
    /// <summary>The HSM signed and the signature verified (request id, key, digest, signature, approvals).</summary>
    public const string SigningSigned = "signing.signed";
    /// <summary>A request failed (request id, status, message).</summary>
    public const string SigningFailed = "signing.failed";
    /// <summary>A request expired before it completed (request id).</summary>
    public const string SigningExpired = "signing.expired";

    /// <summary>A caller was refused before any request was created (identity, status).</summary>
    public const string AccessDenied = "access.denied";

    /// <summary>A custodian proposed a ceremony (ceremony id, kind, proposer, payload digest).</summary>
    public const string CeremonyProposed = "ceremony.proposed";
    /// <summary>A custodian endorsed a ceremony (ceremony id, custodian).</summary>
    public const string CeremonyEndorsed = "ceremony.endorsed";
    /// <summary>A ceremony completed and took effect (ceremony id, kind, outcome details).</summary>
    public const string CeremonyCompleted = "ceremony.completed";
    /// <summary>A ceremony was rejected, cancelled or expired (ceremony id, reason).</summary>
    public const string CeremonyRejected = "ceremony.rejected";

    /// <summary>A policy took effect (policy version, digest, ceremony id).</summary>
    public const string PolicyChanged = "policy.changed";
    /// <summary>A signing key was generated (key, algorithm, public key digest).</summary>
    public const string KeyGenerated = "key.generated";
    /// <summary>A key changed lifecycle state: retiring, retired, revoked, frozen (key, state).</summary>
    public const string KeyStateChanged = "key.state_changed";
    /// <summary>An officer or custodian was enrolled or removed (principal, role, key fingerprint).</summary>
    public const string PrincipalChanged = "principal.changed";
    /// <summary>A wrapped key backup was exported or restored (key, wrap key id).</summary>
    public const string BackupChanged = "backup.changed";

    /// <summary>True when <paramref name="type"/> is dotted lower-case words: <c>[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+</c>, at most 64 characters.</summary>
    public static bool IsValid(string? type)
    {
        if (string.IsNullOrEmpty(type) || type.Length > 64)
        {
            return false;
        }

        string[] words = type.Split('.');
        return words.Length >= 2 && words.All(AuditFieldsBuilder<AuditEntry>.IsValidName);
    }
}
