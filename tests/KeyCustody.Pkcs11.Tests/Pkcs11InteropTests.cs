// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>Keys made by other tools and other processes on the same token are found and used.</summary>
public sealed class Pkcs11InteropTests(KeyStoreFixture fixture) : IClassFixture<KeyStoreFixture>
{
    public static TheoryData<string, string, string, KeyAlgorithm> ToolKeys => new()
    {
        { "EC:prime256v1", "tool-p256", "01", KeyAlgorithm.EcdsaP256 },
        { "EC:secp384r1", "tool-p384", "02", KeyAlgorithm.EcdsaP384 },
        { "EC:edwards25519", "tool-ed25519", "03", KeyAlgorithm.Ed25519 },
        { "rsa:3072", "tool-rsa3072", "04", KeyAlgorithm.Rsa3072 },
    };

    [Theory]
    [MemberData(nameof(ToolKeys))]
    public async Task ListKeysAsync_KeyMadeByPkcs11Tool_ListedAndUsable(string keyType, string label, string idHex, KeyAlgorithm algorithm)
    {
        // Arrange
        await fixture.Hsm.RunPkcs11ToolAsync(true, "--keypairgen", "--key-type", keyType, "--label", label, "--id", idHex);
        byte[] message = System.Text.Encoding.UTF8.GetBytes("made elsewhere by " + label);
        SignInput input = algorithm switch
        {
            KeyAlgorithm.Ed25519 => new SignInput(message, DigestAlgorithm.Sha256, SignatureScheme.Ed25519),
            KeyAlgorithm.Rsa3072 => new SignInput(TestData.Digest(DigestAlgorithm.Sha384, message), DigestAlgorithm.Sha384, SignatureScheme.RsaPkcs1),
            _ => new SignInput(TestData.Digest(DigestAlgorithm.Sha256, message), DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer),
        };

        // Act
        IReadOnlyList<KeyInfo> keys = await fixture.Store.ListKeysAsync();
        KeyInfo key = Assert.Single(keys, k => k.Name.Value == label);
        byte[] signature = await fixture.Store.SignAsync(key.Name, input);

        // Assert
        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(idHex, Convert.ToHexString(key.KeyId.Span).ToLowerInvariant());
        Assert.False(key.BackupCapable);
        Assert.True(SignatureVerification.Verify(key.SubjectPublicKeyInfo.Span, input, signature));
        await AssertToolAgreesOnPublicKeyAsync(key, label, message, input);
    }

    /// <summary>
    /// Independent check that our SubjectPublicKeyInfo is the key's: pkcs11-tool signs with it and we verify
    /// (ECDSA, RSA), or, for Ed25519 (pkcs11-tool signs EdDSA multi-part, which SoftHSM lacks), pkcs11-tool's own
    /// listing of CKA_EC_POINT matches.
    /// </summary>
    private async Task AssertToolAgreesOnPublicKeyAsync(KeyInfo key, string label, byte[] message, SignInput input)
    {
        if (key.Algorithm == KeyAlgorithm.Ed25519)
        {
            ProcessResult listing = await fixture.Hsm.RunPkcs11ToolAsync(false, "--list-objects", "--type", "pubkey", "--label", label);
            string point = "0420" + Convert.ToHexString(PublicKeyFormats.GetEcPoint(key.SubjectPublicKeyInfo.ToArray())).ToLowerInvariant();
            Assert.Contains("EC_POINT:   " + point, listing.StandardOutput, StringComparison.Ordinal);
            return;
        }

        string inputFile = fixture.Temp.File(label + ".in"), signatureFile = fixture.Temp.File(label + ".sig");
        bool rsa = key.Algorithm == KeyAlgorithm.Rsa3072;
        await File.WriteAllBytesAsync(inputFile, rsa ? message : input.Data.ToArray());
        // Select by --id: pkcs11-tool 0.23 selecting by --label fails to sign with some keys (CKR_OPERATION_NOT_INITIALIZED).
        await fixture.Hsm.RunPkcs11ToolAsync(true, "--sign", "--id", Convert.ToHexString(key.KeyId.Span), "--mechanism", rsa ? "SHA384-RSA-PKCS" : "ECDSA",
            "--signature-format", "openssl", "--input-file", inputFile, "--output-file", signatureFile);
        byte[] toolSignature = await File.ReadAllBytesAsync(signatureFile);
        Assert.True(SignatureVerification.Verify(key.SubjectPublicKeyInfo.Span, input, toolSignature),
            "pkcs11-tool's signature does not verify with the public key the store reports");
    }

    [Fact]
    public async Task GenerateKeyAsync_KeyMadeHere_VisibleToPkcs11Tool()
    {
        // Arrange
        KeyInfo key = await fixture.Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("made-here"), KeyAlgorithm.EcdsaP384));

        // Act
        ProcessResult listing = await fixture.Hsm.RunPkcs11ToolAsync(true, "--list-objects", "--type", "privkey");

        // Assert
        Assert.Contains("label:      made-here", listing.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ID:         " + Convert.ToHexString(key.KeyId.Span).ToLowerInvariant(), listing.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Access:     sensitive, always sensitive, never extractable, local", listing.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_KeysShared_AcrossTwoProcesses()
    {
        // Arrange: a key made here, signed with by the child; and a key made by the child, used here.
        KeyInfo parentKey = await fixture.Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("parent-made"), KeyAlgorithm.EcdsaP256));
        byte[] digest = TestData.Digest(DigestAlgorithm.Sha256, "two processes"u8.ToArray());

        // Act
        Dictionary<string, string> childSigns = await RunChildAsync("sign", "parent-made", digest);
        Dictionary<string, string> childMakes = await RunChildAsync("generate-and-sign", "child-made", digest);
        KeyInfo? childKey = await fixture.Store.FindKeyAsync(KeyName.Parse("child-made"));
        var input = new SignInput(digest, DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer);
        byte[] parentSignature = await fixture.Store.SignAsync(KeyName.Parse("child-made"), input);

        // Assert
        Assert.Equal(Convert.ToHexString(parentKey.SubjectPublicKeyInfo.Span), childSigns["spki"]);
        Assert.True(SignatureVerification.Verify(parentKey.SubjectPublicKeyInfo.Span, input, Convert.FromHexString(childSigns["signature"])));
        Assert.NotNull(childKey);
        Assert.Equal(childMakes["spki"], Convert.ToHexString(childKey.SubjectPublicKeyInfo.Span));
        Assert.True(SignatureVerification.Verify(childKey.SubjectPublicKeyInfo.Span, input, Convert.FromHexString(childMakes["signature"])));
        Assert.True(SignatureVerification.Verify(childKey.SubjectPublicKeyInfo.Span, input, parentSignature));
    }

    private async Task<Dictionary<string, string>> RunChildAsync(string command, string key, byte[] digest)
    {
        string assembly = typeof(ChildProcess).Assembly.Location;
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        ProcessResult result = await ProcessRunner.RunAsync(
            host,
            [assembly, fixture.Hsm.ModulePath, fixture.Hsm.TokenLabel, command, key, Convert.ToHexString(digest)],
            fixture.Hsm.Environment,
            standardInput: fixture.Hsm.UserPin + "\n",
            timeout: TimeSpan.FromMinutes(3));
        result.EnsureSuccess($"child process '{command} {key}'");
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1]);
    }
}
