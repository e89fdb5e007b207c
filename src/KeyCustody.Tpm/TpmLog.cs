// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;

namespace KeyCustody.Tpm;

/// <summary>
/// Every log line KeyCustody.Tpm writes. Arguments are paths, PCR indices, counter values and return codes —
/// never a sealed secret, an auth value or a digest the caller asked us to sign.
/// </summary>
internal static partial class TpmLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "FAPI context opened on TCTI {Tcti}")]
    public static partial void ContextOpened(ILogger logger, string tcti);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Function} returned {Code} ({Description})")]
    public static partial void CallFailed(ILogger logger, string function, string code, string description);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "FAPI context closed after {Code}; the next call opens a new one")]
    public static partial void ContextReset(ILogger logger, string code);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Flushed {Count} TPM handles a failed FAPI call left loaded")]
    public static partial void FlushedLeakedHandles(ILogger logger, int count);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Could not flush leaked TPM handles: {Reason}")]
    public static partial void FlushFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "TPM provisioned for FAPI profile {Profile}")]
    public static partial void Provisioned(ILogger logger, string profile);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "TPM already provisioned for FAPI profile {Profile}")]
    public static partial void AlreadyProvisioned(ILogger logger, string profile);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "TSS2_LOG asks tpm2-tss for {Level} logging, which can dump command buffers; use error or warning on an appliance")]
    public static partial void NativeLogTooVerbose(ILogger logger, string level);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Sealed secret {Name} to SHA-256 PCRs {Pcrs}")]
    public static partial void SecretSealed(ILogger logger, string name, string pcrs);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Unsealed secret {Name}")]
    public static partial void SecretUnsealed(ILogger logger, string name);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Refusing to unseal {Name}: boot state changed (PCRs {ChangedPcrs} differ from the sealed values)")]
    public static partial void BootStateChanged(ILogger logger, string name, string changedPcrs);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Deleted sealed secret {Name}")]
    public static partial void SecretDeleted(ILogger logger, string name);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Sealed secret {Name} was found only in its staging slot (an earlier re-seal was interrupted); using it")]
    public static partial void UsingStagedSecret(ILogger logger, string name);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Created TPM key {Path} ({Type})")]
    public static partial void KeyCreated(ILogger logger, string path, string type);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "Opened TPM key {Path}")]
    public static partial void KeyOpened(ILogger logger, string path);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "TPM signature from {Path} did not verify against its public key")]
    public static partial void SignatureDidNotVerify(ILogger logger, string path);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Created NV counter {Path} at {Value}")]
    public static partial void CounterCreated(ILogger logger, string path, ulong value);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "NV counter {Path} is now {Value}")]
    public static partial void CounterIncremented(ILogger logger, string path, ulong value);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Extended PCR {Pcr} with a measurement ({Description})")]
    public static partial void PcrExtended(ILogger logger, int pcr, string description);

    [LoggerMessage(EventId = 41, Level = LogLevel.Debug, Message = "Quoted SHA-256 PCRs {Pcrs} with {Path}")]
    public static partial void Quoted(ILogger logger, string pcrs, string path);
}
