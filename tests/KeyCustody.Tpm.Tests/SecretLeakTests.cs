// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Tpm.Tests;

/// <summary>
/// Drives every path that touches the sealed PIN — seal, unseal, re-seal, a failing unseal, signing — and then
/// searches everything that could leak it: our log lines (messages and structured values), exception texts,
/// tpm2-tss's own log and the files FAPI writes.
/// </summary>
public sealed class SecretLeakTests(TpmFixture tpm) : IClassFixture<TpmFixture>
{
    [Fact]
    public async Task SealedPin_NeverAppearsInLogsExceptionsOrFapiFiles()
    {
        // Arrange: a PIN that cannot occur by accident, in every encoding a careless log line might use.
        string pin = "Pin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        byte[] pinBytes = Encoding.ASCII.GetBytes(pin);
        string[] forms = [pin, Convert.ToHexString(pinBytes), Convert.ToHexStringLower(pinBytes), Convert.ToBase64String(pinBytes)];
        TpmSecretSealer sealer = tpm.Device.Sealer;
        var exceptions = new List<Exception>();

        // Act
        await sealer.SealAsync("hsm-pin", pinBytes);
        byte[] unsealed = await sealer.UnsealAsync("hsm-pin");
        await sealer.ResealAsync("hsm-pin");
        using TpmAuditSigner signer = await tpm.Device.OpenAuditSignerAsync();
        await signer.SignDigestAsync(SHA256.HashData(pinBytes));
        await tpm.Device.Pcrs.ExtendMeasurementAsync(SHA256.HashData("changed"u8));
        exceptions.Add(await Assert.ThrowsAsync<CustodyException>(async () => await sealer.UnsealAsync("hsm-pin")));
        exceptions.Add(await Task.Run(() => Assert.Throws<Tss2Exception>(() => tpm.Device.Fapi.Unseal("/HS/SRK/keycustody-seal-hsm-pin"))));
        exceptions.Add(await Assert.ThrowsAsync<CustodyException>(async () => await sealer.SealAsync("bad/name", pinBytes)));
        string[] fapiPaths = Directory.GetFiles(tpm.Swtpm.FapiStateDirectory, "*", SearchOption.AllDirectories);
        string fapiFiles = string.Concat(fapiPaths.Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        string logs = string.Join("\n", tpm.Logs.Lines.Select(l => l.FullText));
        string native = NativeTssLog.Read();

        // Assert
        Assert.Equal(pinBytes, unsealed);
        Assert.Contains(tpm.Logs.Lines, l => l.Message.Contains("Unsealed secret hsm-pin"));
        Assert.Contains(tpm.Logs.Lines, l => l.Message.Contains("Refusing to unseal hsm-pin"));
        Assert.Contains(fapiPaths, p => p.Contains("keycustody-seal-hsm-pin"));
        foreach (string form in forms)
        {
            Assert.DoesNotContain(form, logs);
            Assert.DoesNotContain(form, native);
            Assert.DoesNotContain(form, fapiFiles);
            Assert.All(exceptions, e => Assert.DoesNotContain(form, e.ToString()));
        }
    }
}
