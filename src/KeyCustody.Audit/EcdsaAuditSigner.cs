// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Audit;

/// <summary>
/// A software ECDSA P-256 audit key for tests and development appliances. Production uses the TPM signer, whose
/// key cannot leave the chip. The private key never appears in <see cref="ToString"/> or exceptions.
/// </summary>
public sealed class EcdsaAuditSigner : IAuditSigner, IDisposable
{
    private readonly ECDsa _key;
    private readonly byte[] _spki;

    private EcdsaAuditSigner(ECDsa key)
    {
        _key = key;
        _spki = key.ExportSubjectPublicKeyInfo();
    }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> SubjectPublicKeyInfo => _spki;

    /// <summary>Generates a fresh P-256 key.</summary>
    public static EcdsaAuditSigner Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a PEM private key (PKCS#8 or SEC1); it must be P-256.</summary>
    public static EcdsaAuditSigner FromPem(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (ArgumentException ex)
        {
            key.Dispose();
            throw new CustodyException(CustodyStatus.InvalidArgument, "The audit key file holds no usable EC private key.", ex);
        }

        if (key.ExportParameters(false).Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            throw new CustodyException(CustodyStatus.InvalidArgument, "The audit key is not a P-256 key.");
        }

        return new EcdsaAuditSigner(key);
    }

    /// <summary>
    /// Loads the key at <paramref name="path"/>, or generates one and writes it there (mode 0600) — the development
    /// appliance's audit key.
    /// </summary>
    public static EcdsaAuditSigner LoadOrCreate(string path)
    {
        if (File.Exists(path))
        {
            return FromPem(File.ReadAllText(path));
        }

        EcdsaAuditSigner signer = Generate();
        string temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(signer._key.ExportPkcs8PrivateKeyPem());
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: false);
        return signer;
    }

    /// <summary>The private key as PKCS#8 PEM, for writing a development key file. Handle as a secret.</summary>
    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The public key as a PEM <c>PUBLIC KEY</c> block (what auditors pass to <c>--audit-key</c>).</summary>
    public string ExportPublicKeyPem() => PemEncoding.WriteString("PUBLIC KEY", _spki);

    /// <inheritdoc />
    public ValueTask<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
    {
        if (sha256Digest.Length != 32)
        {
            throw new ArgumentException("The audit signer signs SHA-256 digests (32 bytes).", nameof(sha256Digest));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_key.SignHash(sha256Digest.Span, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <inheritdoc />
    public override string ToString() => "software ECDSA P-256 audit signer";

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
