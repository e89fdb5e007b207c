// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Pkcs11;

/// <summary>
/// Where the HSM is and how to log in to it. Exactly one of <see cref="TokenLabel"/> and
/// <see cref="TokenSerial"/> selects the token. The PIN is never stored here: <see cref="UserPin"/> is asked
/// for it each time the store has to log in (the daemon supplies it from the TPM sealer; development setups use
/// <see cref="Pkcs11PinSources"/>).
/// </summary>
public sealed record Pkcs11KeyStoreOptions
{
    /// <summary>Default number of logged-in sessions kept in the pool.</summary>
    public const int DefaultPoolSize = 4;

    /// <summary>Absolute path of the PKCS#11 module, e.g. <c>/usr/lib/softhsm/libsofthsm2.so</c>.</summary>
    public required string ModulePath { get; init; }

    /// <summary>The token's label (CK_TOKEN_INFO.label, trailing blanks ignored), or null to select by serial.</summary>
    public string? TokenLabel { get; init; }

    /// <summary>The token's serial number (CK_TOKEN_INFO.serialNumber, trailing blanks ignored), or null to select by label.</summary>
    public string? TokenSerial { get; init; }

    /// <summary>
    /// Returns the user PIN as bytes. The store zeroes the returned array as soon as C_Login has used it, and
    /// calls this again when it has to log in again (after the token came back, for example).
    /// </summary>
    public required Func<CancellationToken, ValueTask<byte[]>> UserPin { get; init; }

    /// <summary>How many logged-in sessions to keep for concurrent signing (1–64).</summary>
    public int PoolSize { get; init; } = DefaultPoolSize;

    /// <summary>Throws <see cref="ArgumentException"/> when the options are not usable.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModulePath))
        {
            throw new ArgumentException("ModulePath must name a PKCS#11 module file.", nameof(ModulePath));
        }

        if (string.IsNullOrEmpty(TokenLabel) == string.IsNullOrEmpty(TokenSerial))
        {
            throw new ArgumentException("Set exactly one of TokenLabel and TokenSerial.", nameof(TokenLabel));
        }

        if (PoolSize is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(PoolSize), PoolSize, "PoolSize must be between 1 and 64.");
        }

        ArgumentNullException.ThrowIfNull(UserPin);
    }

    /// <summary>How the token is named in messages: <c>label 'x'</c> or <c>serial 'y'</c>.</summary>
    internal string TokenDescription => TokenLabel is { Length: > 0 } ? $"label '{TokenLabel}'" : $"serial '{TokenSerial}'";
}
