// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;

namespace KeyCustody.Pkcs11;

/// <summary>Log events of the PKCS#11 key store (ids 1100–1199). Never given a PIN or key material.</summary>
internal static partial class Pkcs11Log
{
    [LoggerMessage(1100, LogLevel.Information, "Loaded PKCS#11 module {ModulePath}: {Description} {Version} (Cryptoki {CryptokiVersion})")]
    public static partial void ModuleLoaded(ILogger logger, string modulePath, string description, string version, string cryptokiVersion);

    [LoggerMessage(1101, LogLevel.Information, "Using token '{Label}' (serial {Serial}, {Model}) in slot {SlotId}")]
    public static partial void TokenSelected(ILogger logger, string label, string serial, string model, ulong slotId);

    [LoggerMessage(1102, LogLevel.Information, "Logged in to token '{Label}' as user")]
    public static partial void LoggedIn(ILogger logger, string label);

    [LoggerMessage(1103, LogLevel.Error, "Login to token '{Label}' failed with {ReturnValue}; token PIN flags: {PinFlags}")]
    public static partial void LoginFailed(ILogger logger, string label, string returnValue, string pinFlags);

    [LoggerMessage(1104, LogLevel.Warning, "PKCS#11 session lost ({ReturnValue} from {Function}); reopening (attempt {Attempt})")]
    public static partial void SessionLost(ILogger logger, string returnValue, string function, int attempt);

    [LoggerMessage(1105, LogLevel.Warning, "HSM token {Token} is unavailable: {Reason}")]
    public static partial void TokenUnavailable(ILogger logger, string token, string reason);

    [LoggerMessage(1106, LogLevel.Critical, "The HSM returned a {Algorithm} signature with key '{KeyName}' that does not verify; it was withheld")]
    public static partial void SignatureRejected(ILogger logger, string keyName, string algorithm);

    [LoggerMessage(1107, LogLevel.Information, "Generated {Algorithm} key '{KeyName}' (backup-capable: {BackupCapable})")]
    public static partial void KeyGenerated(ILogger logger, string keyName, string algorithm, bool backupCapable);

    [LoggerMessage(1108, LogLevel.Information, "Destroyed key '{KeyName}' ({Objects} objects)")]
    public static partial void KeyDestroyed(ILogger logger, string keyName, int objects);

    [LoggerMessage(1109, LogLevel.Information, "Wrapped key '{KeyName}' under trusted wrap key '{WrapKeyLabel}'")]
    public static partial void KeyWrapped(ILogger logger, string keyName, string wrapKeyLabel);

    [LoggerMessage(1110, LogLevel.Information, "Unwrapped key '{KeyName}' under trusted wrap key '{WrapKeyLabel}'")]
    public static partial void KeyUnwrapped(ILogger logger, string keyName, string wrapKeyLabel);

    [LoggerMessage(1111, LogLevel.Information, "Created trusted wrap key '{WrapKeyLabel}' (SO login)")]
    public static partial void TrustedWrapKeyCreated(ILogger logger, string wrapKeyLabel);

    [LoggerMessage(1112, LogLevel.Warning, "Key handle for '{KeyName}' is stale ({ReturnValue}); looking the key up again")]
    public static partial void StaleKeyHandle(ILogger logger, string keyName, string returnValue);
}
