// SPDX-License-Identifier: Apache-2.0
using System.Text;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Audit.Tests;

/// <summary>Checkpoints as C2SP signed notes: exact format, strict parsing, key ids, and signatures openssl accepts.</summary>
public sealed class CheckpointTests : IDisposable
{
    // A fixed P-256 public key (SubjectPublicKeyInfo) generated once with `openssl ecparam -name prime256v1 -genkey`.
    private const string FixedSpki = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEG2v+J8nMjboPA1Sw9NUhpeUg7D3xe/+1nI9+1NE3li+fkjs61H4iels4p1hCDQjc5992Ksjq32Wui/K9949nMg==";

    private const string Origin = "keycustody.example/appliance-1";
    private readonly TempDirectory _temp = new("keycustody-checkpoint");
    private readonly EcdsaAuditSigner _signer = EcdsaAuditSigner.Generate();

    [Fact]
    public void ComputeKeyId_FixedKey_MatchesIndependentDerivation()
    {
        // Arrange: expected value computed with Python's hashlib, independently of this code:
        // sha256(b"keycustody.example/appliance-1" + b"\n\xff" + b"keycustody/ecdsa-p256-sha256" + spki).digest()[:4]
        byte[] spki = Convert.FromBase64String(FixedSpki);

        // Act
        uint keyId = AuditPublicKey.ComputeKeyId(Origin, spki);

        // Assert
        Assert.Equal("e6919aab", SignedNote.FormatKeyId(keyId));
    }

    [Fact]
    public void FormatBody_Checkpoint_IsOriginSizeRootLines()
    {
        // Arrange
        var checkpoint = new Checkpoint(Origin, 8, Convert.FromHexString(MerkleHashTests.ReferenceRoots[8]));

        // Act
        string body = checkpoint.FormatBody();

        // Assert
        Assert.Equal($"{Origin}\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqt" + "L0lgz+Nw7/RgQyg=\n", body);
    }

    [Fact]
    public async Task SignAsync_Checkpoint_ProducesNoteVerifierAccepts()
    {
        // Arrange
        using var checkpointSigner = new CheckpointSigner(_signer, Origin);
        using AuditPublicKey key = AuditPublicKey.FromPem(_signer.ExportPublicKeyPem());
        byte[] root = Convert.FromHexString(MerkleHashTests.ReferenceRoots[5]);

        // Act
        SignedCheckpoint signed = await checkpointSigner.SignAsync(5, root);
        Checkpoint verified = new AuditVerifier(key, Origin).VerifyCheckpoint(signed.Note);

        // Assert
        Assert.StartsWith($"{Origin}\n5\n", signed.Note, StringComparison.Ordinal);
        Assert.Contains($"\n\n\u2014 {Origin} ", signed.Note, StringComparison.Ordinal);
        Assert.Equal(5, verified.TreeSize);
        Assert.Equal(root, verified.RootHash);
        Assert.Equal(key.KeyId(Origin), checkpointSigner.KeyId);
    }

    [Fact]
    public async Task SignAsync_Signature_VerifiesWithOpenssl()
    {
        // Arrange: openssl checks the signature bytes after the 4-byte key id over the note text.
        using var checkpointSigner = new CheckpointSigner(_signer, Origin);
        SignedCheckpoint signed = await checkpointSigner.SignAsync(3, Convert.FromHexString(MerkleHashTests.ReferenceRoots[3]));
        Assert.True(SignedNote.TryParse(signed.Note, out SignedNote? note, out string error), error);
        File.WriteAllText(_temp.File("key.pem"), _signer.ExportPublicKeyPem());
        File.WriteAllBytes(_temp.File("text"), Encoding.UTF8.GetBytes(note!.Text));
        File.WriteAllBytes(_temp.File("sig.der"), note.Signatures[0].Signature);

        // Act
        ProcessResult result = await ProcessRunner.RunAsync("openssl", "dgst", "-sha256", "-verify", _temp.File("key.pem"),
            "-signature", _temp.File("sig.der"), _temp.File("text"));

        // Assert
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Verified OK", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyCheckpoint_OpensslSignedNote_IsAccepted()
    {
        // Arrange: a note whose signature openssl made (not this code) must verify too.
        string body = new Checkpoint(Origin, 2, Convert.FromHexString(MerkleHashTests.ReferenceRoots[2])).FormatBody();
        File.WriteAllText(_temp.File("private.pem"), _signer.ExportPrivateKeyPem());
        File.WriteAllBytes(_temp.File("body"), Encoding.UTF8.GetBytes(body));
        ProcessResult sign = await ProcessRunner.RunAsync("openssl", "dgst", "-sha256", "-sign", _temp.File("private.pem"),
            "-out", _temp.File("sig.der"), _temp.File("body"));
        sign.EnsureSuccess("openssl dgst -sign");
        using AuditPublicKey key = AuditPublicKey.FromPem(_signer.ExportPublicKeyPem());
        string note = new SignedNote(body, [new NoteSignature(Origin, key.KeyId(Origin), File.ReadAllBytes(_temp.File("sig.der")))]).Format();

        // Act
        Checkpoint verified = new AuditVerifier(key).VerifyCheckpoint(note);

        // Assert
        Assert.Equal(2, verified.TreeSize);
    }

    [Fact]
    public async Task VerifyCheckpoint_ExtraUnknownSignature_IsIgnored()
    {
        // Arrange: per signed-note, signatures from unknown keys (say a witness) are skipped, not fatal.
        using var checkpointSigner = new CheckpointSigner(_signer, Origin);
        SignedCheckpoint signed = await checkpointSigner.SignAsync(1, Convert.FromHexString(MerkleHashTests.ReferenceRoots[1]));
        string withWitness = signed.Note + "\u2014 witness.example/w1 AAAAAQID\n";
        using AuditPublicKey key = AuditPublicKey.FromPem(_signer.ExportPublicKeyPem());

        // Act
        Checkpoint verified = new AuditVerifier(key).VerifyCheckpoint(withWitness);

        // Assert
        Assert.Equal(1, verified.TreeSize);
    }

    [Theory]
    [InlineData("origin\n8\nroot\n", "no blank line")]
    [InlineData("origin\n8\n\n", "no signature lines")]
    [InlineData("origin\n8\n\n- origin AAAAAAE=\n", "hyphen instead of em dash")]
    [InlineData("origin\n8\n\n\u2014 origin not-base64!\n", "bad base64")]
    [InlineData("origin\n8\n\n\u2014 origin AAAA\n", "signature shorter than a key id")]
    [InlineData("origin\n8\n\n\u2014 origin AAAAAAE=", "missing final newline")]
    [InlineData("ori\tgin\n8\n\n\u2014 origin AAAAAAE=\n", "control character")]
    [InlineData("origin\n8\n\n\u2014 ori+gin AAAAAAE=\n", "plus in key name")]
    public void TryParse_MalformedNote_IsRejected(string note, string why)
    {
        // Arrange / Act
        bool parsed = SignedNote.TryParse(note, out SignedNote? result, out string error);

        // Assert
        Assert.False(parsed, why);
        Assert.Null(result);
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "leading zero")]
    [InlineData("o\n-1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "negative size")]
    [InlineData("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ==\n", "short root")]
    [InlineData("o\n8\n", "no root line")]
    [InlineData("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n", "empty extension line")]
    [InlineData("o o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "space in origin")]
    public void TryParseBody_MalformedCheckpoint_IsRejected(string body, string why)
    {
        // Arrange / Act
        bool parsed = Checkpoint.TryParseBody(body, out Checkpoint? checkpoint, out _);

        // Assert
        Assert.False(parsed, why);
        Assert.Null(checkpoint);
    }

    [Fact]
    public void FromSubjectPublicKeyInfo_NotP256_IsRejected()
    {
        // Arrange
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        byte[] spki = p384.ExportSubjectPublicKeyInfo();

        // Act
        var ex = Assert.Throws<CustodyException>(() => AuditPublicKey.FromSubjectPublicKeyInfo(spki));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
    }

    [Fact]
    public void EcdsaAuditSigner_LoadOrCreate_ReloadsTheSameKey()
    {
        // Arrange
        string path = _temp.File("audit-key.pem");

        // Act
        using EcdsaAuditSigner first = EcdsaAuditSigner.LoadOrCreate(path);
        using EcdsaAuditSigner second = EcdsaAuditSigner.LoadOrCreate(path);

        // Assert
        Assert.Equal(first.SubjectPublicKeyInfo.ToArray(), second.SubjectPublicKeyInfo.ToArray());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.DoesNotContain("PRIVATE", first.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _signer.Dispose();
        _temp.Dispose();
    }
}
