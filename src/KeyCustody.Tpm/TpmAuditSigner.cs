// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Tpm;

/// <summary>
/// <see cref="IAuditSigner"/> on the TPM: an ECDSA P-256 key generated inside the TPM ("sign,noDa" in the
/// P_ECCP256SHA256 profile: fixedTPM, fixedParent, sensitiveDataOrigin — never exportable). Every signature is
/// checked against the public key before it is returned.
/// </summary>
public sealed class TpmAuditSigner : IAuditSigner, IDisposable
{
    /// <summary>Where the audit key lives in the FAPI keystore.</summary>
    public const string DefaultKeyPath = "/HS/SRK/keycustody-audit";

    private readonly FapiContext _fapi;
    private readonly ECDsa _verifier;
    private readonly ILogger _logger;

    private TpmAuditSigner(FapiContext fapi, TpmKeyInfo key, ILogger logger)
    {
        _fapi = fapi;
        Key = key;
        _logger = logger;
        _verifier = ECDsa.Create();
        _verifier.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
    }

    /// <summary>The audit key's public half and attributes.</summary>
    public TpmKeyInfo Key { get; }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => Key.SubjectPublicKeyInfo;

    /// <summary>The public key as PEM (what <c>openssl pkeyutl -verify -pubin</c> takes).</summary>
    public string PublicKeyPem => Key.PublicKeyPem;

    /// <summary>
    /// Opens the audit key at <paramref name="keyPath"/>, creating it inside the TPM the first time. The TPM must
    /// be provisioned (<see cref="FapiContext.Provision"/>).
    /// </summary>
    public static ValueTask<TpmAuditSigner> OpenAsync(
        FapiContext fapi,
        ILogger<TpmAuditSigner>? logger = null,
        string keyPath = DefaultKeyPath,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fapi);
        ILogger log = logger ?? (ILogger)NullLogger.Instance;
        return TpmOperation.RunAsync("Opening the TPM audit key", () =>
        {
            if (TpmKeyInfo.Ensure(fapi, keyPath, "sign,noDa"))
            {
                TpmLog.KeyCreated(log, keyPath, "sign,noDa");
            }
            else
            {
                TpmLog.KeyOpened(log, keyPath);
            }

            TpmKeyInfo key = TpmKeyInfo.Read(fapi, keyPath);
            if (!key.IsNonExportable)
            {
                throw new CustodyException(CustodyStatus.DeviceFault,
                    $"The TPM key at {keyPath} is exportable (fixedTPM/fixedParent/sensitiveDataOrigin not all set); refusing to use it as the audit key.");
            }

            return new TpmAuditSigner(fapi, key, log);
        }, cancellationToken);
    }

    /// <summary>
    /// Signs a SHA-256 digest. FAPI already returns ECDSA signatures DER-encoded (it converts the TPM's
    /// <c>TPMT_SIGNATURE</c> r and s); we re-encode them canonically and verify before returning.
    /// </summary>
    public ValueTask<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
    {
        if (sha256Digest.Length != 32)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"The audit key signs SHA-256 digests (32 bytes), not {sha256Digest.Length} bytes.");
        }

        return TpmOperation.RunAsync("Signing with the TPM audit key", () =>
        {
            FapiSignResult result = _fapi.Sign(Key.Path, sha256Digest.Span);
            byte[] der = EcdsaSignatureEncoding.Canonicalize(result.Signature, fieldSize: 32);
            if (!_verifier.VerifyHash(sha256Digest.Span, der, DSASignatureFormat.Rfc3279DerSequence))
            {
                TpmLog.SignatureDidNotVerify(_logger, Key.Path);
                throw new CustodyException(CustodyStatus.DeviceFault, "The TPM returned an audit signature that does not verify; it was discarded.");
            }

            return der;
        }, cancellationToken);
    }

    /// <summary>Releases the managed copy of the public key (the TPM key itself stays).</summary>
    public void Dispose() => _verifier.Dispose();
}
