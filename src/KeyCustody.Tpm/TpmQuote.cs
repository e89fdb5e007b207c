// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KeyCustody.Tpm;

/// <summary>
/// A TPM quote in the form standard verifiers take. For <c>tpm2_checkquote</c> (tpm2-tools 5.x) write
/// <see cref="AttestationKeyPem"/>, <see cref="Attest"/>, <see cref="Signature"/> and <see cref="PcrValuesFile"/>
/// to files and run <c>tpm2_checkquote -u ak.pem -m attest.bin -s sig.bin -f pcrs.bin -l PCRSELECTION -g sha256
/// -q NONCEHEX</c> with <see cref="PcrSelection"/> and the hex of <see cref="Nonce"/>.
/// </summary>
/// <param name="Attest">The signed <c>TPMS_ATTEST</c> bytes.</param>
/// <param name="Signature">The signature as a marshalled <c>TPMT_SIGNATURE</c> (ECDSA, SHA-256).</param>
/// <param name="SignatureDer">The same signature as DER <c>SEQUENCE { r, s }</c>.</param>
/// <param name="Nonce">The caller's nonce, echoed in the attest's extraData.</param>
/// <param name="PcrValues">The quoted SHA-256 PCR values by index.</param>
/// <param name="AttestationKeySpki">The attestation key's DER SubjectPublicKeyInfo.</param>
/// <param name="AttestationKeyPem">The same as PEM.</param>
/// <param name="PcrLog">FAPI's event log for the quoted PCRs (JSON), for a verifier that replays events.</param>
public sealed record TpmQuote(
    byte[] Attest,
    byte[] Signature,
    byte[] SignatureDer,
    byte[] Nonce,
    IReadOnlyDictionary<int, byte[]> PcrValues,
    byte[] AttestationKeySpki,
    string AttestationKeyPem,
    string PcrLog)
{
    /// <summary><c>TPM_ALG_ECDSA</c>.</summary>
    public const ushort AlgEcdsa = 0x0018;

    /// <summary>The PCR selection in tpm2-tools syntax, e.g. "sha256:0,2,4,7,23".</summary>
    public string PcrSelection => "sha256:" + string.Join(",", PcrValues.Keys.Order());

    /// <summary>The PCR values concatenated in ascending index order (tpm2_pcrread's raw output, <c>-f</c> with <c>-l</c>).</summary>
    public byte[] PcrValuesFile() => PcrValues.OrderBy(p => p.Key).SelectMany(p => p.Value).ToArray();

    /// <summary>Marshals an ECDSA-SHA256 <c>TPMT_SIGNATURE</c> (TPM 2.0 Part 2 §11.3.4) from r and s.</summary>
    public static byte[] MarshalEcdsaSignature(ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        byte[] result = new byte[4 + 2 + r.Length + 2 + s.Length];
        BinaryPrimitives.WriteUInt16BigEndian(result, AlgEcdsa);
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(2), TpmsAttest.AlgSha256);
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(4), (ushort)r.Length);
        r.CopyTo(result.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(6 + r.Length), (ushort)s.Length);
        s.CopyTo(result.AsSpan(8 + r.Length));
        return result;
    }

    /// <summary>
    /// Checks the quote the way a remote verifier would: the signature over <see cref="Attest"/> verifies with
    /// <paramref name="attestationKeySpki"/> (pass a key you trust, not the one in the quote), the attest is a
    /// TPM-generated quote, its nonce is <paramref name="expectedNonce"/>, and its PCR digest matches
    /// <see cref="PcrValues"/>. Returns null when all hold, otherwise what failed.
    /// </summary>
    public string? Verify(ReadOnlySpan<byte> expectedNonce, ReadOnlySpan<byte> attestationKeySpki)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(attestationKeySpki, out _);
        }
        catch (CryptographicException)
        {
            return "the attestation key is not a valid SubjectPublicKeyInfo";
        }

        if (!key.VerifyData(Attest, SignatureDer, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            return "the signature does not verify over the attest structure";
        }

        if (!TpmsAttest.TryParse(Attest, out TpmsAttest? attest) || attest is null)
        {
            return "the attest structure is not a TPM-generated quote";
        }

        if (!attest.ExtraData.AsSpan().SequenceEqual(expectedNonce))
        {
            return "the nonce differs (replayed quote?)";
        }

        if (!attest.Pcrs.SequenceEqual(PcrValues.Keys.Order()))
        {
            return "the quoted PCR selection differs from the PCR values supplied";
        }

        if (!attest.PcrDigest.AsSpan().SequenceEqual(SHA256.HashData(PcrValuesFile())))
        {
            return "the PCR values do not match the quoted PCR digest";
        }

        return null;
    }
}
