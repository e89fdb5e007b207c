// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using Xunit;

namespace KeyCustody.Tpm.Tests;

/// <summary>Pure tests of the quote encodings with a software key standing in for the TPM's attestation key.</summary>
public sealed class TpmQuoteTests
{
    private const string QuoteInfo = """
        { "sig_scheme": { "scheme": "ECDSA", "details": { "hashAlg": "SHA256" } },
          "attest": { "magic": "VALUE", "type": "ATTEST_QUOTE",
            "qualifiedSigner": "000bc98eb935bee6c729ff5997e2ba531cece616a1e8e3aa77197560fc5734435538",
            "extraData": "6e6f6e636531323334",
            "clockInfo": { "clock": 29848, "resetCount": 909946600, "restartCount": 3704385822, "safe": "YES" },
            "firmwareVersion": [ 308557096, 4008651791 ],
            "attested": { "pcrSelect": [ { "hash": "SHA256", "pcrSelect": [ 0, 2, 4, 7, 23 ] } ],
              "pcrDigest": "1f93dbb07dcc31b218ae8f30488da2446e1bdc900e95c07972a660883d38c2af" } } }
        """;

    [Fact]
    public void FromFapiQuoteInfo_ThenMarshal_RoundTripsThroughTryParse()
    {
        // Arrange
        TpmsAttest attest = TpmsAttest.FromFapiQuoteInfo(QuoteInfo);

        // Act
        byte[] wire = attest.Marshal();
        bool parsed = TpmsAttest.TryParse(wire, out TpmsAttest? back);

        // Assert
        Assert.True(parsed);
        Assert.NotNull(back);
        Assert.Equal((308557096UL << 32) | 4008651791UL, back.FirmwareVersion);
        Assert.Equal(29848UL, back.Clock);
        Assert.True(back.Safe);
        Assert.Equal([0, 2, 4, 7, 23], back.Pcrs);
        Assert.Equal("nonce1234"u8.ToArray(), back.ExtraData);
        Assert.Equal(0xFF544347u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(wire));
        Assert.Equal(attest.PcrDigest, back.PcrDigest);
        Assert.False(TpmsAttest.TryParse(wire.AsSpan(0, wire.Length - 1), out _));
    }

    [Fact]
    public void Verify_SoftwareSignedQuote_AcceptsAndRejectsTampering()
    {
        // Arrange
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] nonce = "fresh nonce"u8.ToArray();
        var values = new SortedDictionary<int, byte[]> { [0] = new byte[32], [23] = SHA256.HashData("m"u8) };
        var attest = new TpmsAttest
        {
            QualifiedSigner = [0x00, 0x0B, 1, 2, 3],
            ExtraData = nonce,
            Pcrs = [0, 23],
            PcrDigest = SHA256.HashData(values.Values.SelectMany(v => v).ToArray()),
        };
        byte[] wire = attest.Marshal();
        byte[] der = key.SignData(wire, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        (byte[] r, byte[] s) = EcdsaSignatureEncoding.ReadDer(der, 32);
        var quote = new TpmQuote(wire, TpmQuote.MarshalEcdsaSignature(r, s), der, nonce, values,
            key.ExportSubjectPublicKeyInfo(), key.ExportSubjectPublicKeyInfoPem(), "[]");
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        // Act
        string? good = quote.Verify(nonce, key.ExportSubjectPublicKeyInfo());
        string? wrongNonce = quote.Verify("stale"u8, key.ExportSubjectPublicKeyInfo());
        string? wrongKey = quote.Verify(nonce, otherKey.ExportSubjectPublicKeyInfo());
        string? wrongPcr = (quote with { PcrValues = new SortedDictionary<int, byte[]> { [0] = new byte[32], [23] = new byte[32] } })
            .Verify(nonce, key.ExportSubjectPublicKeyInfo());

        // Assert
        Assert.Null(good);
        Assert.Contains("nonce", wrongNonce);
        Assert.Contains("signature", wrongKey);
        Assert.Contains("PCR", wrongPcr);
        Assert.Equal(4 + 2 + 32 + 2 + 32, quote.Signature.Length);
        Assert.Equal("sha256:0,23", quote.PcrSelection);
    }

    [Fact]
    public void EcdsaSignatureEncoding_ShortIntegers_ArePaddedAndReencodedCanonically()
    {
        // Arrange: r has its high bit set (DER adds a 0x00), s is short (DER drops leading zeros).
        byte[] r = new byte[32];
        r[0] = 0x80;
        r[31] = 1;
        byte[] s = new byte[32];
        s[31] = 7;

        // Act
        byte[] der = EcdsaSignatureEncoding.WriteDer(r, s);
        (byte[] r2, byte[] s2) = EcdsaSignatureEncoding.ReadDer(der, 32);

        // Assert
        Assert.Equal(r, r2);
        Assert.Equal(s, s2);
        Assert.Equal(der, EcdsaSignatureEncoding.Canonicalize(der, 32));
        Assert.Equal(2 + (2 + 33) + (2 + 1), der.Length);
    }
}
