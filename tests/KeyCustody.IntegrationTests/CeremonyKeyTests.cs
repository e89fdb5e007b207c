// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Grpc;
using KeyCustody.IntegrationTests.Infrastructure;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>generate-key and rotate-key ceremonies end to end: HSM keys, certificates and rotation statements checked with openssl.</summary>
public sealed class CeremonyKeyTests(CeremonyFixture appliance) : IClassFixture<CeremonyFixture>
{
    private const string LowPolicy = $$"""{"riskTier":"low","allowedCallers":[{"san":"{{CeremonyFixture.CiSan}}"}],"allowedDigests":["sha256"]}""";

    private async Task<Pb.Ceremony> RunAsync(ApplianceClient client, Pb.CeremonyKind kind, string parameters)
    {
        Pb.Ceremony proposed = await client.ProposeAsync(kind, parameters);
        await client.EndorseWithAsync(proposed, appliance.Custodian("dave"));
        return await client.EndorseWithAsync(proposed, appliance.Custodian("erin"));
    }

    private static async Task AssertSignsAsync(ApplianceClient client, string key)
    {
        (byte[] artifact, Pb.Digest digest) = Peers.Artifact(key + " " + Guid.NewGuid());
        Pb.SignResponse signed = await client.SignAsync(new Pb.SignRequest { Key = key, Digest = digest });
        ProcessResult openssl = await Peers.OpensslVerifyAsync((await client.KeyAsync(key)).PublicKeyPem, artifact, signed.Signature.ToByteArray());
        Assert.True(openssl.ExitCode == 0, openssl.StandardOutput + openssl.StandardError);
    }

    [Fact]
    public async Task GenerateKey_Quorum_KeySignsAndSelfSignedCertificateVerifies()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        Pb.Ceremony done = await RunAsync(client, Pb.CeremonyKind.GenerateKey, $$"""{"key":"gen-1","algorithm":"ecdsa-p256","policy":{{LowPolicy}}}""");

        // Assert
        Assert.True(done.State == Pb.CeremonyState.Executed, done.StateReason);
        JsonElement result = JsonDocument.Parse(done.ResultJson).RootElement;
        Pb.Key key = await client.KeyAsync("gen-1");
        Assert.Equal(Pb.KeyStatus.Active, key.Status);
        Assert.Equal(key.PublicKeyPem.Trim(), result.GetProperty("publicKeyPem").GetString()!.Trim());
        using var dir = new TempDirectory("kc-cert");
        await File.WriteAllTextAsync(dir.File("cert.pem"), result.GetProperty("certificatePem").GetString());
        ProcessResult verify = await ProcessRunner.RunAsync("openssl", "verify", "-check_ss_sig", "-CAfile", dir.File("cert.pem"), dir.File("cert.pem"));
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
        ProcessResult pubkey = await ProcessRunner.RunAsync("openssl", "x509", "-in", dir.File("cert.pem"), "-noout", "-pubkey");
        Assert.Equal(key.PublicKeyPem.Trim(), pubkey.StandardOutput.Trim());
        await AssertSignsAsync(client, "gen-1");
    }

    [Fact]
    public async Task GenerateKey_NameTaken_AlreadyExistsAndAudited()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.ProposeAsync(Pb.CeremonyKind.GenerateKey, $$"""{"key":"low-a","algorithm":"ecdsa-p256","policy":{{LowPolicy}}}"""));

        // Assert
        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.True(await client.HasEntryAsync("ceremony.rejected", e => e.GetProperty("kind").GetString() == "generate-key"));
    }

    [Fact]
    public async Task RotateKey_WithGrace_StatementVerifiesUnderBothKeysAndOldKeyStillSigns()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        string oldPem = (await client.KeyAsync("rot-a")).PublicKeyPem;

        // Act
        Pb.Ceremony done = await RunAsync(client, Pb.CeremonyKind.RotateKey, """{"key":"rot-a","successor":"rot-a2","grace":"1h"}""");

        // Assert
        Assert.True(done.State == Pb.CeremonyState.Executed, done.StateReason);
        JsonElement result = JsonDocument.Parse(done.ResultJson).RootElement;
        byte[] statement = Convert.FromBase64String(result.GetProperty("rotationStatement").GetString()!);
        string newPem = (await client.KeyAsync("rot-a2")).PublicKeyPem;
        ProcessResult byOld = await Peers.OpensslVerifyAsync(oldPem, statement, Convert.FromBase64String(result.GetProperty("predecessorSignature").GetString()!));
        ProcessResult byNew = await Peers.OpensslVerifyAsync(newPem, statement, Convert.FromBase64String(result.GetProperty("successorSignature").GetString()!));
        Assert.True(byOld.ExitCode == 0, byOld.StandardOutput + byOld.StandardError);
        Assert.True(byNew.ExitCode == 0, byNew.StandardOutput + byNew.StandardError);
        Assert.StartsWith("keycustody-rotation-v1\nold-key: rot-a\n", System.Text.Encoding.UTF8.GetString(statement));
        Pb.Key retiring = await client.KeyAsync("rot-a");
        Assert.Equal(Pb.KeyStatus.Retiring, retiring.Status);
        Assert.Equal("rot-a2", retiring.Successor);
        Assert.NotNull(retiring.RotatedAt);
        Assert.Equal("rot-a", (await client.KeyAsync("rot-a2")).Predecessor);
        Assert.Contains((await client.Channel.UnaryAsync("/keycustody.v1.KeyService/ListKeys", new Pb.ListKeysRequest(), Pb.ListKeysResponse.Parser,
            KeyCustody.Grpc.Client.CallOptions.WithTimeout(TimeSpan.FromSeconds(60)))).Keys, k => k.Name == "rot-a" && k.Successor == "rot-a2");
        await AssertSignsAsync(client, "rot-a");
        await AssertSignsAsync(client, "rot-a2");
    }

    [Fact]
    public async Task RotateKey_NoGrace_OldKeyRetiredAndRefused()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        Pb.Ceremony done = await RunAsync(client, Pb.CeremonyKind.RotateKey, """{"key":"rot-b","successor":"rot-b2","grace":"0s"}""");

        // Assert
        Assert.True(done.State == Pb.CeremonyState.Executed, done.StateReason);
        Pb.Key retired = await client.KeyAsync("rot-b");
        Assert.Equal(Pb.KeyStatus.Retired, retired.Status);
        Assert.NotNull(retired.RetiredAt);
        (_, Pb.Digest digest) = Peers.Artifact("old " + Guid.NewGuid());
        RpcException ex = await Peers.FailsAsync(() => client.SignAsync(new Pb.SignRequest { Key = "rot-b", Digest = digest }));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        await AssertSignsAsync(client, "rot-b2");
    }
}
