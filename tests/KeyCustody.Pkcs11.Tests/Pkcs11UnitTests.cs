// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>Pure logic: return-code names and mapping, signature encodings, templates, PIN flag text.</summary>
public sealed class Pkcs11UnitTests
{
    [Theory]
    [InlineData(CKR_KEY_HANDLE_INVALID, "C_Sign returned CKR_KEY_HANDLE_INVALID")]
    [InlineData(CKR_PIN_LOCKED, "C_Sign returned CKR_PIN_LOCKED")]
    [InlineData(CKR_EXCEEDED_MAX_ITERATIONS, "C_Sign returned CKR_EXCEEDED_MAX_ITERATIONS")]
    [InlineData(CKR_VENDOR_DEFINED + 0x42, "C_Sign returned CKR_VENDOR_DEFINED+0x42")]
    [InlineData(0x4242UL, "C_Sign returned CKR_0x4242")]
    public void Pkcs11Exception_Message_KeepsNativeSpelling(ulong returnValue, string expected)
    {
        // Act
        var exception = new Pkcs11Exception("C_Sign", returnValue);

        // Assert
        Assert.Equal(expected, exception.Message);
        Assert.Equal(returnValue, exception.ReturnValue);
        Assert.Equal("C_Sign", exception.Function);
    }

    [Theory]
    [InlineData(CKR_PIN_INCORRECT, CustodyStatus.PinIncorrect)]
    [InlineData(CKR_PIN_LOCKED, CustodyStatus.PinLocked)]
    [InlineData(CKR_DEVICE_REMOVED, CustodyStatus.HsmUnavailable)]
    [InlineData(CKR_TOKEN_NOT_PRESENT, CustodyStatus.HsmUnavailable)]
    [InlineData(CKR_SESSION_HANDLE_INVALID, CustodyStatus.HsmUnavailable)]
    [InlineData(CKR_KEY_HANDLE_INVALID, CustodyStatus.NotFound)]
    [InlineData(CKR_MECHANISM_INVALID, CustodyStatus.Unsupported)]
    [InlineData(CKR_CURVE_NOT_SUPPORTED, CustodyStatus.Unsupported)]
    [InlineData(CKR_DATA_LEN_RANGE, CustodyStatus.InvalidArgument)]
    [InlineData(CKR_KEY_UNEXTRACTABLE, CustodyStatus.PermissionDenied)]
    [InlineData(CKR_ATTRIBUTE_SENSITIVE, CustodyStatus.PermissionDenied)]
    [InlineData(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, CustodyStatus.WrongState)]
    [InlineData(CKR_FUNCTION_CANCELED, CustodyStatus.Cancelled)]
    [InlineData(CKR_GENERAL_ERROR, CustodyStatus.Internal)]
    [InlineData(CKR_VENDOR_DEFINED + 1, CustodyStatus.Internal)]
    public void Pkcs11StatusMapper_ReturnValue_MapsToStatus(ulong returnValue, CustodyStatus expected)
    {
        // Act
        CustodyStatus status = Pkcs11StatusMapper.ToStatus(returnValue);
        CustodyException exception = Pkcs11StatusMapper.ToCustodyException(new Pkcs11Exception("C_Sign", returnValue), "Signing with key 'k'");

        // Assert
        Assert.Equal(expected, status);
        Assert.Equal(expected, exception.Status);
        Assert.StartsWith("Signing with key 'k': C_Sign returned CKR_", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pkcs11StatusMapper_Ok_IsOk()
    {
        // Act + Assert
        Assert.Equal(CustodyStatus.Ok, Pkcs11StatusMapper.ToStatus(CKR_OK));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(48)]
    public void SignatureEncoding_RawDerRoundTrip_VerifiesWithDotNet(int fieldSize)
    {
        // Arrange: many signatures, so short r or s (leading zero bytes) and high-bit values both occur.
        using ECDsa key = ECDsa.Create(fieldSize == 32 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        byte[] digest = SHA256.HashData("encodings"u8);
        for (int i = 0; i < 300; i++)
        {
            byte[] raw = key.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

            // Act
            byte[] der = SignatureEncoding.EcdsaRawToDer(raw);
            byte[] back = SignatureEncoding.EcdsaDerToRaw(der, fieldSize);

            // Assert
            Assert.True(key.VerifyHash(digest, der, DSASignatureFormat.Rfc3279DerSequence));
            Assert.Equal(raw, back);
        }
    }

    [Fact]
    public void SignatureEncoding_KnownValues_EncodeMinimally()
    {
        // Arrange: r = 0x00..01 (leading zeros dropped), s = 0x80.. (a 0x00 is prefixed to stay positive).
        byte[] raw = new byte[64];
        raw[31] = 0x01;
        raw[32] = 0x80;

        // Act
        byte[] der = SignatureEncoding.EcdsaRawToDer(raw);

        // Assert
        Assert.Equal("3026020101022100" + "80" + new string('0', 62), Convert.ToHexString(der));
        Assert.Throws<ArgumentException>(() => SignatureEncoding.EcdsaRawToDer(new byte[63]));
    }

    [Theory]
    [InlineData(DigestAlgorithm.Sha256, "3031300D060960864801650304020105000420")]
    [InlineData(DigestAlgorithm.Sha384, "3041300D060960864801650304020205000430")]
    [InlineData(DigestAlgorithm.Sha512, "3051300D060960864801650304020305000440")]
    public void KeyTemplates_RsaPkcs1_PrependsDigestInfo(DigestAlgorithm digest, string prefix)
    {
        // Arrange
        byte[] hash = new byte[Algorithms.DigestLength(digest)];
        hash[^1] = 0xAB;

        // Act
        (Pkcs11Mechanism mechanism, byte[] data) = KeyTemplates.ForSigning(KeyAlgorithm.Rsa3072, new SignInput(hash, digest, SignatureScheme.RsaPkcs1));

        // Assert
        Assert.Equal(CKM_RSA_PKCS, mechanism.Type);
        Assert.Equal(prefix + Convert.ToHexString(hash), Convert.ToHexString(data));
    }

    [Fact]
    public void KeyTemplates_RsaPss_ParamsCarryHashMgfAndSaltLength()
    {
        // Act
        (Pkcs11Mechanism mechanism, byte[] data) = KeyTemplates.ForSigning(KeyAlgorithm.Rsa4096, new SignInput(new byte[48], DigestAlgorithm.Sha384, SignatureScheme.RsaPss));
        int size = System.Runtime.InteropServices.Marshal.SizeOf<System.Runtime.InteropServices.CULong>();

        // Assert
        Assert.Equal(CKM_RSA_PKCS_PSS, mechanism.Type);
        Assert.Equal(48, data.Length);
        Assert.Equal(3 * size, mechanism.Parameter!.Length);
        Assert.Equal(CKM_SHA384, Pkcs11Attribute.ReadULong(mechanism.Parameter.AsSpan(0, size)));
        Assert.Equal(CKG_MGF1_SHA384, Pkcs11Attribute.ReadULong(mechanism.Parameter.AsSpan(size, size)));
        Assert.Equal(48UL, Pkcs11Attribute.ReadULong(mechanism.Parameter.AsSpan(2 * size, size)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KeyTemplates_PrivateTemplate_SensitiveAndExtractableOnlyForBackup(bool backup)
    {
        // Act
        Pkcs11Attribute[] template = KeyTemplates.PrivateTemplate(KeyAlgorithm.EcdsaP256, "k", [1, 2], backup);
        bool? Flag(ulong type) => template.Where(a => a.Type == type).Select(a => (bool?)Pkcs11Attribute.ReadBool(a.Value)).SingleOrDefault();

        // Assert
        Assert.True(Flag(CKA_SENSITIVE));
        Assert.True(Flag(CKA_TOKEN));
        Assert.True(Flag(CKA_PRIVATE));
        Assert.True(Flag(CKA_SIGN));
        Assert.False(Flag(CKA_DECRYPT));
        Assert.Equal(backup, Flag(CKA_EXTRACTABLE));
        Assert.Equal(backup ? true : null, Flag(CKA_WRAP_WITH_TRUSTED));
    }

    [Fact]
    public void Pkcs11TokenInfo_PinFlags_DescribedNatively()
    {
        // Arrange
        var none = new Pkcs11TokenInfo(1, "t", "m", "model", "s", CKF_TOKEN_INITIALIZED);
        var low = none with { Flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY };

        // Act + Assert
        Assert.Equal("none", none.DescribeUserPinFlags());
        Assert.Equal("CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY", low.DescribeUserPinFlags());
        Assert.True(low.UserPinFinalTry);
        Assert.False(low.UserPinLocked);
    }

    [Fact]
    public void WrappedKey_ToString_DoesNotPrintKeyMaterial()
    {
        // Arrange
        byte[] blob = RandomNumberGenerator.GetBytes(40);
        var wrapped = new WrappedKey(KeyName.Parse("k"), KeyAlgorithm.EcdsaP256, new byte[16], new byte[10], blob, "wrap");

        // Act
        string text = wrapped.ToString();

        // Assert
        Assert.DoesNotContain(Convert.ToHexString(blob), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(blob), text, StringComparison.Ordinal);
        Assert.Contains("40 bytes", text, StringComparison.Ordinal);
    }
}
