// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Core;
using KeyCustody.Governance.Ceremonies;
using Xunit;

namespace KeyCustody.Governance.Tests.Ceremonies;

public sealed class BackupCryptoTests
{
    private static readonly DateTimeOffset s_now = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Multiply_KnownAesFieldProducts_Match()
    {
        // Arrange / Act / Assert: FIPS 197 §4.2 examples {57}·{83} = {c1}, {57}·{13} = {fe}.
        Assert.Equal(0xC1, Shamir.Multiply(0x57, 0x83));
        Assert.Equal(0xFE, Shamir.Multiply(0x57, 0x13));
        Assert.Equal(0x57, Shamir.Divide(0xC1, 0x83));
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 5)]
    [InlineData(5, 5)]
    public void Combine_AnyThresholdSubset_RebuildsSecret(int threshold, int count)
    {
        // Arrange
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        IReadOnlyList<ShamirShare> shares = Shamir.Split(secret, threshold, count);

        // Act
        byte[] first = Shamir.Combine(shares.Take(threshold).ToList());
        byte[] last = Shamir.Combine(shares.Reverse().Take(threshold).ToList());

        // Assert
        Assert.Equal(secret, first);
        Assert.Equal(secret, last);
    }

    [Fact]
    public void Combine_OneShareTooFew_RefusedAndInterpolationIsNotTheSecret()
    {
        // Arrange
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        IReadOnlyList<ShamirShare> shares = Shamir.Split(secret, 3, 5);

        // Act
        var ex = Assert.Throws<CustodyException>(() => Shamir.Combine(shares.Take(2).ToList()));
        byte[] guess = Shamir.Interpolate(shares.Take(2).ToList());

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, ex.Status);
        Assert.NotEqual(secret, guess);
    }

    [Fact]
    public void Split_ToString_NeverShowsShareBytes()
    {
        // Arrange
        ShamirShare share = Shamir.Split(new byte[] { 0xAB, 0xCD }, 2, 2)[0];

        // Act
        string text = share.ToString();

        // Assert
        Assert.DoesNotContain(Convert.ToHexString(share.Y), text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("2 bytes", text);
    }

    [Fact]
    public void Open_RightKeyAndData_RoundTripsWrongKeyRefused()
    {
        // Arrange
        (byte[] privateKey, byte[] publicKey) = ShareEnvelope.NewKeyPair();
        (byte[] otherPrivate, _) = ShareEnvelope.NewKeyPair();
        byte[] aad = Encoding.ASCII.GetBytes("bundle-1/dave");
        ShareEnvelope envelope = ShareEnvelope.Seal(publicKey, "share bytes"u8, aad);

        // Act
        byte[] plain = envelope.Open(privateKey, aad);
        var wrongKey = Assert.Throws<CustodyException>(() => envelope.Open(otherPrivate, aad));
        var wrongData = Assert.Throws<CustodyException>(() => envelope.Open(privateKey, "bundle-1/erin"u8));

        // Assert
        Assert.Equal("share bytes"u8.ToArray(), plain);
        Assert.Equal(CustodyStatus.PermissionDenied, wrongKey.Status);
        Assert.Equal(CustodyStatus.PermissionDenied, wrongData.Status);
        Assert.Equal(-1, envelope.Ciphertext.AsSpan().IndexOf("share bytes"u8));
    }

    private static (BackupBundle Bundle, byte[] WrapKey, Dictionary<string, byte[]> Privates) NewBundle()
    {
        byte[] wrapKey = RandomNumberGenerator.GetBytes(32);
        var privates = new Dictionary<string, byte[]>();
        var recipients = new List<(string, byte[])>();
        foreach (string name in new[] { "dave", "erin", "frank" })
        {
            (byte[] priv, byte[] pub) = ShareEnvelope.NewKeyPair();
            privates[name] = priv;
            recipients.Add((name, pub));
        }

        var key = new BackupKey("release", "ecdsa-p256", [1, 2], [3, 4], [5, 6, 7]);
        return (BackupBundle.Create("bkp-1", "cer-1", s_now, [key], wrapKey, 2, recipients), wrapKey, privates);
    }

    [Fact]
    public void RecoverWrapKey_TwoOfThreeAfterJsonRoundTrip_ReturnsWrapKey()
    {
        // Arrange
        (BackupBundle bundle, byte[] wrapKey, Dictionary<string, byte[]> privates) = NewBundle();
        BackupBundle parsed = BackupBundle.Parse(bundle.ToJson());

        // Act
        byte[] recovered = parsed.RecoverWrapKey([parsed.OpenShare("erin", privates["erin"]), parsed.OpenShare("frank", privates["frank"])]);

        // Assert
        Assert.Equal(wrapKey, recovered);
        Assert.Equal("release", Assert.Single(parsed.Keys).Name);
        Assert.Equal(new byte[] { 5, 6, 7 }, parsed.Keys[0].WrappedPrivateKey);
    }

    [Fact]
    public void RecoverWrapKey_OneShare_PermissionDenied()
    {
        // Arrange
        (BackupBundle bundle, _, Dictionary<string, byte[]> privates) = NewBundle();

        // Act
        var ex = Assert.Throws<CustodyException>(() => bundle.RecoverWrapKey([bundle.OpenShare("dave", privates["dave"])]));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, ex.Status);
        Assert.Contains("2 are needed", ex.Message);
    }

    [Fact]
    public void RecoverWrapKey_AlteredWrappedKey_MacRefused()
    {
        // Arrange
        (BackupBundle bundle, _, Dictionary<string, byte[]> privates) = NewBundle();
        string json = Encoding.UTF8.GetString(bundle.ToJson()).Replace(Convert.ToBase64String(new byte[] { 5, 6, 7 }), Convert.ToBase64String(new byte[] { 5, 6, 8 }));
        BackupBundle altered = BackupBundle.Parse(Encoding.UTF8.GetBytes(json));

        // Act
        var ex = Assert.Throws<CustodyException>(() =>
            altered.RecoverWrapKey([altered.OpenShare("dave", privates["dave"]), altered.OpenShare("erin", privates["erin"])]));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, ex.Status);
        Assert.Contains("was altered", ex.Message);
    }

    [Fact]
    public void ToJson_NoShareInClear()
    {
        // Arrange
        byte[] wrapKey = RandomNumberGenerator.GetBytes(32);
        (byte[] _, byte[] pubA) = ShareEnvelope.NewKeyPair();
        (byte[] _, byte[] pubB) = ShareEnvelope.NewKeyPair();

        // Act
        string json = Encoding.UTF8.GetString(BackupBundle.Create("bkp-2", "cer-2", s_now, [], wrapKey, 2, [("a", pubA), ("b", pubB)]).ToJson());

        // Assert
        Assert.StartsWith("{", json);
        Assert.Contains("\"format\":\"keycustody-backup-v1\"", json);
        Assert.DoesNotContain(Convert.ToBase64String(wrapKey), json);
    }
}
