// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class TpmAttestationTests(TpmFixture tpm) : IClassFixture<TpmFixture>
{
    [Fact]
    public async Task QuoteAsync_Quote_IsAcceptedByTpm2Checkquote()
    {
        // Arrange
        await tpm.Device.Pcrs.ExtendMeasurementAsync(SHA256.HashData("keycustodyd build under test"u8));
        TpmAttestation attestation = await tpm.Device.OpenAttestationAsync();
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        using var dir = new TempDirectory("keycustody-checkquote");

        // Act
        TpmQuote quote = await attestation.QuoteAsync(nonce);
        await File.WriteAllTextAsync(dir.File("ak.pem"), quote.AttestationKeyPem);
        await File.WriteAllBytesAsync(dir.File("attest.bin"), quote.Attest);
        await File.WriteAllBytesAsync(dir.File("signature.bin"), quote.Signature);
        await File.WriteAllBytesAsync(dir.File("pcrs.bin"), quote.PcrValuesFile());
        ProcessResult accepted = await CheckQuoteAsync(dir, quote.PcrSelection, Convert.ToHexString(nonce));
        ProcessResult wrongNonce = await CheckQuoteAsync(dir, quote.PcrSelection, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));

        // Assert
        Assert.True(accepted.ExitCode == 0, accepted.StandardOutput + accepted.StandardError);
        Assert.NotEqual(0, wrongNonce.ExitCode);
        Assert.Equal("sha256:0,2,4,7,23", quote.PcrSelection);
    }

    [Fact]
    public async Task QuoteAsync_TamperedPcrValues_AreRejectedByTpm2Checkquote()
    {
        // Arrange
        TpmAttestation attestation = await tpm.Device.OpenAttestationAsync();
        byte[] nonce = RandomNumberGenerator.GetBytes(20);
        using var dir = new TempDirectory("keycustody-checkquote");
        TpmQuote quote = await attestation.QuoteAsync(nonce);
        byte[] pcrs = quote.PcrValuesFile();
        pcrs[^1] ^= 0x01;

        // Act
        await File.WriteAllTextAsync(dir.File("ak.pem"), quote.AttestationKeyPem);
        await File.WriteAllBytesAsync(dir.File("attest.bin"), quote.Attest);
        await File.WriteAllBytesAsync(dir.File("signature.bin"), quote.Signature);
        await File.WriteAllBytesAsync(dir.File("pcrs.bin"), pcrs);
        ProcessResult result = await CheckQuoteAsync(dir, quote.PcrSelection, Convert.ToHexString(nonce));

        // Assert
        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public async Task QuoteAsync_AfterExtend_ReportsTheNewValueAndVerifies()
    {
        // Arrange
        TpmAttestation attestation = await tpm.Device.OpenAttestationAsync();
        IReadOnlyDictionary<int, byte[]> before = await tpm.Device.Pcrs.ReadPcrsAsync();
        byte[] measurement = SHA256.HashData("configuration v2"u8);
        await tpm.Device.Pcrs.ExtendMeasurementAsync(measurement);
        byte[] nonce = RandomNumberGenerator.GetBytes(16);

        // Act
        TpmQuote quote = await attestation.QuoteAsync(nonce);
        var tampered = quote with { PcrValues = new Dictionary<int, byte[]>(quote.PcrValues) { [23] = before[23] } };

        // Assert
        Assert.Equal(TpmPcrs.PredictAfterMeasurements([measurement], before[23]), quote.PcrValues[23]);
        Assert.Null(quote.Verify(nonce, attestation.AttestationKey.SubjectPublicKeyInfo));
        Assert.NotNull(quote.Verify(RandomNumberGenerator.GetBytes(16), attestation.AttestationKey.SubjectPublicKeyInfo));
        Assert.NotNull(tampered.Verify(nonce, attestation.AttestationKey.SubjectPublicKeyInfo));
        Assert.True(attestation.AttestationKey.Restricted);
        Assert.True(attestation.AttestationKey.IsNonExportable);
    }

    [Fact]
    public async Task QuoteAsync_NonceTooLong_ThrowsInvalidArgument()
    {
        // Arrange
        TpmAttestation attestation = await tpm.Device.OpenAttestationAsync();

        // Act
        var error = await Assert.ThrowsAsync<CustodyException>(async () => await attestation.QuoteAsync(new byte[65]));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, error.Status);
    }

    private static Task<ProcessResult> CheckQuoteAsync(TempDirectory dir, string pcrSelection, string nonceHex) =>
        ProcessRunner.RunAsync("tpm2_checkquote",
            "-u", dir.File("ak.pem"),
            "-m", dir.File("attest.bin"),
            "-s", dir.File("signature.bin"),
            "-f", dir.File("pcrs.bin"),
            "-l", pcrSelection,
            "-g", "sha256",
            "-q", nonceHex);
}
