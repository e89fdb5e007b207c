// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.IntegrationTests;

/// <summary>The built <c>keycustody</c> against a dev appliance: low-risk signing, inventory, JSON output and errors.</summary>
public sealed class CliSignTests(CliApplianceFixture appliance) : IClassFixture<CliApplianceFixture>
{
    private async Task<string> PublicKeyPemAsync(string key)
    {
        ProcessResult result = await appliance.RunCliAsync("keys", key, "--json");
        Assert.True(result.ExitCode == 0, result.StandardError);
        string pem = CliApplianceFixture.ParseJson(result)["publicKeyPem"]!.GetValue<string>();
        string path = Path.Combine(appliance.WorkDirectory, key + ".pem");
        await File.WriteAllTextAsync(path, pem);
        return path;
    }

    [Fact]
    public async Task Sign_LowRiskFile_WritesSignatureOpensslVerifiesAndReceipt()
    {
        // Arrange
        string artifact = appliance.NewArtifact("low.bin");
        string publicKey = await PublicKeyPemAsync("dev-low");

        // Act
        ProcessResult result = await appliance.RunCliAsync("sign", "--key", "dev-low", "--file", artifact, "--meta", "version=1.0.0");

        // Assert
        Assert.True(result.ExitCode == 0, $"{result.StandardError}\ndaemon: {appliance.DaemonTail()}");
        Assert.Contains("signed sha256:", result.StandardOutput);
        Assert.True(File.Exists(artifact + ".sig"));
        ProcessResult verify = await ProcessRunner.RunAsync("openssl", "dgst", "-sha256", "-verify", publicKey, "-signature", artifact + ".sig", artifact);
        Assert.True(verify.ExitCode == 0, verify.StandardError + verify.StandardOutput);
        Assert.Contains("Verified OK", verify.StandardOutput);
        JsonNode receipt = JsonNode.Parse(await File.ReadAllTextAsync(artifact + ".sig.receipt.json"))!;
        Assert.Equal(JsonValueKind.Object, receipt.GetValueKind());
        ProcessResult receiptCheck = await appliance.VerifyReceiptAsync(artifact + ".sig.receipt.json");
        Assert.True(receiptCheck.ExitCode == 0, receiptCheck.StandardOutput + receiptCheck.StandardError);
    }

    [Fact]
    public async Task Sign_DigestWithJson_OutputParsesAndSignatureMatchesKey()
    {
        // Arrange
        byte[] digest = SHA256.HashData(RandomNumberGenerator.GetBytes(64));
        string publicKey = await PublicKeyPemAsync("dev-low");
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(await File.ReadAllTextAsync(publicKey));

        // Act
        ProcessResult result = await appliance.RunCliAsync("sign", "--json", "--key", "dev-low", "--digest", "sha256:" + Convert.ToHexString(digest));

        // Assert
        Assert.True(result.ExitCode == 0, result.StandardError);
        JsonNode json = CliApplianceFixture.ParseJson(result);
        Assert.Equal("dev-low", json["key"]!.GetValue<string>());
        Assert.Equal("SIGNING_REQUEST_STATE_SIGNED", json["state"]!.GetValue<string>());
        Assert.Equal("sha256:" + Convert.ToHexStringLower(digest), json["digest"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["requestId"]!.GetValue<string>()));
        byte[] signature = Convert.FromBase64String(json["signature"]!.GetValue<string>());
        Assert.True(ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence));
        Assert.NotNull(json["receipt"]);
    }

    [Fact]
    public async Task Keys_JsonAndText_ListTheDevKeys()
    {
        // Arrange / Act
        ProcessResult json = await appliance.RunCliAsync("keys", "--json");
        ProcessResult text = await appliance.RunCliAsync("keys");

        // Assert
        Assert.True(json.ExitCode == 0, json.StandardError);
        string[] names = [.. CliApplianceFixture.ParseJson(json)["keys"]!.AsArray().Select(k => k!["name"]!.GetValue<string>())];
        Assert.Contains("dev-low", names);
        Assert.Contains("dev-release", names);
        Assert.True(text.ExitCode == 0, text.StandardError);
        Assert.StartsWith("NAME", text.StandardOutput);
        Assert.Contains("dev-release", text.StandardOutput);
        Assert.Contains("ecdsa-p256", text.StandardOutput);
    }

    [Fact]
    public async Task Sign_UnknownKey_OneErrorLineAndNotFoundExit()
    {
        // Arrange
        string artifact = appliance.NewArtifact("unknown-key.bin");

        // Act
        ProcessResult result = await appliance.RunCliAsync("sign", "--key", "no-such-key", "--file", artifact);

        // Assert
        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("error: NOT_FOUND: ", result.StandardError);
        Assert.Single(result.StandardError.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(artifact + ".sig"));
    }

    [Fact]
    public async Task Sign_CallerNotAllowedByPolicy_PermissionDeniedExit5()
    {
        // Arrange
        string artifact = appliance.NewArtifact("other-caller.bin");
        string tls = Path.Combine(appliance.StateDirectory, "tls");

        // Act
        ProcessResult result = await appliance.RunCliAsync("sign", "--key", "dev-low", "--file", artifact,
            "--client-cert", Path.Combine(tls, "ci-other.pem"), "--client-key", Path.Combine(tls, "ci-other.key"));

        // Assert
        Assert.Equal(5, result.ExitCode);
        Assert.StartsWith("error: PERMISSION_DENIED: ", result.StandardError);
        Assert.Single(result.StandardError.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task Sign_ArgumentError_PrintsUsageAndExits2WithoutCallingTheAppliance()
    {
        // Arrange / Act
        ProcessResult result = await appliance.RunCliAsync("sign", "--key", "dev-low", "--digest", "sha256:1234");

        // Assert
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.StandardOutput);
        Assert.Contains("error: --digest: a sha256 digest is 64 hex digits, got 4", result.StandardError);
        Assert.Contains("Usage:", result.StandardError);
    }

    [Fact]
    public async Task Sign_UntrustedClientCertificate_UnauthenticatedExit4()
    {
        // Arrange
        string artifact = appliance.NewArtifact("untrusted.bin");
        string tls = Path.Combine(appliance.StateDirectory, "tls");

        // Act
        ProcessResult result = await appliance.RunCliAsync("sign", "--key", "dev-low", "--file", artifact,
            "--client-cert", Path.Combine(tls, "untrusted-client.pem"), "--client-key", Path.Combine(tls, "untrusted-client.key"));

        // Assert
        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith("error: UNAUTHENTICATED: ", result.StandardError);
        Assert.False(File.Exists(artifact + ".sig"));
    }

    [Fact]
    public async Task Keys_PinnedServerCertificate_ConnectsAndAWrongPinIsRefused()
    {
        // Arrange
        string tls = Path.Combine(appliance.StateDirectory, "tls");

        // Act
        ProcessResult pinned = await appliance.RunCliAsync("keys", "--pin-cert", Path.Combine(tls, "server.pem"));
        ProcessResult wrong = await appliance.RunCliAsync("keys", "--pin-cert", Path.Combine(tls, "ci-other.pem"));

        // Assert
        Assert.True(pinned.ExitCode == 0, pinned.StandardError);
        Assert.Contains("dev-release", pinned.StandardOutput);
        Assert.Equal(9, wrong.ExitCode);
        Assert.StartsWith("error: UNAVAILABLE: ", wrong.StandardError);
        Assert.Equal(string.Empty, wrong.StandardOutput);
    }
}
