// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text.Json;
using KeyCustody.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Tpm;

/// <summary>
/// Quotes the appliance's PCRs with a restricted attestation key ("sign,restricted,noDa"), so a remote party can
/// check the boot state with a nonce of its choosing. The attestation key is separate from the audit key: a
/// restricted key signs only structures the TPM produced, so nothing it signs can be mistaken for a forged
/// quote, which an unrestricted key that signs arbitrary digests cannot promise.
/// </summary>
public sealed class TpmAttestation
{
    /// <summary>Where the attestation key lives in the FAPI keystore.</summary>
    public const string DefaultKeyPath = "/HS/SRK/keycustody-attest";

    /// <summary>The largest nonce a quote carries (<c>TPM2B_DATA</c> holds a <c>TPMT_HA</c>; 64 bytes covers SHA-512).</summary>
    public const int MaxNonceLength = 64;

    private readonly FapiContext _fapi;
    private readonly IReadOnlyList<int> _pcrs;
    private readonly ILogger _logger;

    private TpmAttestation(FapiContext fapi, TpmKeyInfo key, IReadOnlyList<int> pcrs, ILogger logger)
    {
        _fapi = fapi;
        AttestationKey = key;
        _pcrs = pcrs;
        _logger = logger;
    }

    /// <summary>The attestation key's public half and attributes.</summary>
    public TpmKeyInfo AttestationKey { get; }

    /// <summary>Opens the attestation key, creating it inside the TPM the first time.</summary>
    public static ValueTask<TpmAttestation> OpenAsync(
        FapiContext fapi,
        TpmOptions options,
        ILogger<TpmAttestation>? logger = null,
        string keyPath = DefaultKeyPath,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fapi);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ILogger log = logger ?? (ILogger)NullLogger.Instance;
        return TpmOperation.RunAsync("Opening the TPM attestation key", () =>
        {
            const string type = "sign,restricted,noDa";
            if (TpmKeyInfo.Ensure(fapi, keyPath, type))
            {
                TpmLog.KeyCreated(log, keyPath, type);
            }

            TpmKeyInfo key = TpmKeyInfo.Read(fapi, keyPath);
            if (!key.Restricted || !key.IsNonExportable)
            {
                throw new CustodyException(CustodyStatus.DeviceFault,
                    $"The TPM key at {keyPath} is not a restricted, non-exportable signing key; refusing to quote with it.");
            }

            return new TpmAttestation(fapi, key, options.SealPcrs, log);
        }, cancellationToken);
    }

    /// <summary>
    /// Quotes <paramref name="pcrs"/> (by default <see cref="TpmOptions.SealPcrs"/>) with <paramref name="nonce"/>.
    /// The result has been verified against the attestation key and the PCR values before it is returned.
    /// </summary>
    public ValueTask<TpmQuote> QuoteAsync(ReadOnlyMemory<byte> nonce, IReadOnlyList<int>? pcrs = null, CancellationToken cancellationToken = default)
    {
        if (nonce.Length is 0 or > MaxNonceLength)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"A quote nonce is 1 to {MaxNonceLength} bytes, not {nonce.Length}.");
        }

        int[] selection = (pcrs ?? _pcrs).Distinct().Order().ToArray();
        if (selection.Length == 0 || selection.Any(p => p is < 0 or > 23))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "Quote at least one PCR, with indices 0-23.");
        }

        return TpmOperation.RunAsync("Quoting PCRs", () => _fapi.Exclusive(() =>
        {
            // Something outside this process may extend a PCR between the quote and our read of the values;
            // one retry covers a single such event, a second mismatch is reported.
            for (int attempt = 0; ; attempt++)
            {
                TpmQuote? quote = TryQuote(nonce.Span, selection);
                if (quote is not null)
                {
                    TpmLog.Quoted(_logger, string.Join(",", selection), AttestationKey.Path);
                    return quote;
                }

                if (attempt == 1)
                {
                    throw new CustodyException(CustodyStatus.DeviceFault,
                        "The quoted PCR digest does not match the PCR values read right after it (twice); a PCR is changing.");
                }
            }
        }), cancellationToken);
    }

    private TpmQuote? TryQuote(ReadOnlySpan<byte> nonce, int[] selection)
    {
        FapiQuoteResult raw = _fapi.Quote(selection, AttestationKey.Path, nonce);
        var values = new SortedDictionary<int, byte[]>();
        foreach (int pcr in selection)
        {
            values[pcr] = _fapi.PcrRead(pcr).Value;
        }

        TpmsAttest parsed;
        try
        {
            parsed = TpmsAttest.FromFapiQuoteInfo(raw.QuoteInfo);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CustodyException(CustodyStatus.DeviceFault, "FAPI returned quote information we cannot read.", e);
        }

        (byte[] r, byte[] s) = EcdsaSignatureEncoding.ReadDer(raw.Signature, fieldSize: 32);
        byte[] signatureDer = EcdsaSignatureEncoding.WriteDer(r, s);
        byte[]? attest = SignedAttest(parsed, signatureDer);
        if (attest is null)
        {
            throw new CustodyException(CustodyStatus.DeviceFault,
                "The TPM quote signature does not verify over the attest structure rebuilt from FAPI's quote information.");
        }

        if (!parsed.ExtraData.AsSpan().SequenceEqual(nonce) || !parsed.Pcrs.SequenceEqual(selection))
        {
            throw new CustodyException(CustodyStatus.DeviceFault, "The TPM quoted a different nonce or PCR selection than requested.");
        }

        byte[] concatenated = values.Values.SelectMany(v => v).ToArray();
        if (!parsed.PcrDigest.AsSpan().SequenceEqual(SHA256.HashData(concatenated)))
        {
            return null;
        }

        return new TpmQuote(
            attest,
            TpmQuote.MarshalEcdsaSignature(r, s),
            signatureDer,
            nonce.ToArray(),
            values,
            AttestationKey.SubjectPublicKeyInfo,
            AttestationKey.PublicKeyPem,
            raw.PcrLog);
    }

    /// <summary>
    /// Rebuilds the signed bytes. FAPI's JSON omits <c>sizeofSelect</c>; tpm2-tss sends 3 (24 PCRs), a TSS for
    /// larger PCR banks may send 4, so we take the size whose encoding the signature covers.
    /// </summary>
    private byte[]? SignedAttest(TpmsAttest parsed, byte[] signatureDer)
    {
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(AttestationKey.SubjectPublicKeyInfo, out _);
        foreach (byte size in new byte[] { 3, 4 })
        {
            byte[] attest = (parsed with { SizeOfSelect = size }).Marshal();
            if (key.VerifyData(attest, signatureDer, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            {
                return attest;
            }
        }

        return null;
    }
}
