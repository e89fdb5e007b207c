// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using KeyCustody.Audit;
using KeyCustody.Grpc;
using KeyCustody.Testing;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests.Infrastructure;

/// <summary>The independent tools the tests check the appliance with: ssh-keygen, openssl and the offline audit verifier.</summary>
public static class Peers
{
    /// <summary>Signs <paramref name="message"/> with <c>ssh-keygen -Y sign</c> (what an officer runs) and returns the armored SSHSIG.</summary>
    public static async Task<string> SshSignAsync(string privateKey, byte[] message, string ns = "keycustody-approval")
    {
        using var dir = new TempDirectory("kc-sshsig");
        string file = dir.File("statement");
        await File.WriteAllBytesAsync(file, message);
        (await ProcessRunner.RunAsync("ssh-keygen", "-Y", "sign", "-n", ns, "-f", privateKey, file)).EnsureSuccess("ssh-keygen -Y sign");
        return await File.ReadAllTextAsync(file + ".sig");
    }

    /// <summary>Verifies a DER ECDSA signature over <paramref name="data"/> with <c>openssl dgst -sha256 -verify</c>.</summary>
    public static async Task<ProcessResult> OpensslVerifyAsync(string publicKeyPem, byte[] data, byte[] signature)
    {
        using var dir = new TempDirectory("kc-openssl");
        await File.WriteAllTextAsync(dir.File("key.pem"), publicKeyPem);
        await File.WriteAllBytesAsync(dir.File("data"), data);
        await File.WriteAllBytesAsync(dir.File("sig"), signature);
        return await ProcessRunner.RunAsync("openssl", "dgst", "-sha256", "-verify", dir.File("key.pem"), "-signature", dir.File("sig"), dir.File("data"));
    }

    /// <summary>Verifies a receipt offline against the appliance's audit key; returns the verified entry as text.</summary>
    public static string VerifyReceipt(Pb.GetAuditKeyResponse auditKey, Pb.Receipt receipt)
    {
        using AuditPublicKey key = AuditPublicKey.FromPem(auditKey.PublicKeyPem);
        var verifier = new AuditVerifier(key, auditKey.KeyName);
        ReceiptVerification verified = verifier.VerifyReceipt(Encoding.UTF8.GetBytes(receipt.Json));
        return Encoding.UTF8.GetString(verified.Entry);
    }

    /// <summary>An artifact and its SHA-256 digest message.</summary>
    public static (byte[] Artifact, Pb.Digest Digest) Artifact(string text)
    {
        byte[] artifact = Encoding.UTF8.GetBytes(text);
        return (artifact, new Pb.Digest { Algorithm = Pb.DigestAlgorithm.Sha256, Value = ByteString.CopyFrom(SHA256.HashData(artifact)) });
    }

    /// <summary>Runs <paramref name="call"/> and returns the RpcException it must fail with.</summary>
    public static async Task<RpcException> FailsAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (RpcException ex)
        {
            return ex;
        }

        throw new Xunit.Sdk.XunitException("The call succeeded but was expected to fail.");
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        T last = await probe();
        while (!condition(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {timeout}; last value: {last}");
            }

            await Task.Delay(100);
            last = await probe();
        }

        return last;
    }
}
