// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics;
using KeyCustody.Core;
using KeyCustody.Protocol.V1;
using SignatureScheme = KeyCustody.Protocol.V1.SignatureScheme;

namespace KeyCustody.Cli.Dev;

/// <summary>
/// Checks a signature with OpenSSL, an implementation independent of the appliance, against the key's published
/// public key: <c>openssl dgst -verify</c> over the artifact for ECDSA (DER) and RSA, <c>openssl pkeyutl -verify
/// -rawin</c> over the digest bytes for Ed25519 (the appliance signs the digest as the message).
/// </summary>
public static class OpensslVerifier
{
    /// <summary>Runs openssl; returns its one-line verdict, or throws when the signature does not verify.</summary>
    /// <exception cref="CustodyException">DeviceFault when the signature does not verify; Unsupported for a raw ECDSA signature.</exception>
    public static async Task<string> VerifyAsync(
        Key key, SignatureScheme scheme, Core.DigestAlgorithm digestAlgorithm, string artifactPath, byte[] digest, string signaturePath,
        string workDirectory, CancellationToken cancellationToken)
    {
        string publicKey = Path.Combine(workDirectory, key.Name + ".pub.pem");
        await File.WriteAllTextAsync(publicKey, key.PublicKeyPem, cancellationToken);
        string dgst = "-" + Algorithms.Name(digestAlgorithm);
        List<string> arguments = (key.Algorithm, scheme) switch
        {
            (Protocol.V1.KeyAlgorithm.Ed25519, _) => await Ed25519ArgumentsAsync(),
            (_, SignatureScheme.EcdsaRaw) => throw new CustodyException(CustodyStatus.Unsupported,
                "openssl verifies DER-encoded ECDSA signatures; sign with the default scheme (ecdsa-der)"),
            (_, SignatureScheme.RsaPss) => ["dgst", dgst, "-verify", publicKey, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest",
                "-signature", signaturePath, artifactPath],
            _ => ["dgst", dgst, "-verify", publicKey, "-signature", signaturePath, artifactPath],
        };

        var start = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        arguments.ForEach(start.ArgumentList.Add);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CustodyException(CustodyStatus.Unsupported, "could not start openssl");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CustodyException(CustodyStatus.Unsupported, "openssl was not found on PATH: install openssl", e);
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            string verdict = ((await output).Trim() + " " + (await error).Trim()).Trim();
            if (process.ExitCode != 0)
            {
                throw new CustodyException(CustodyStatus.DeviceFault,
                    $"openssl did not verify the signature with {key.Name}'s public key: {string.Join(' ', verdict.Split('\n', StringSplitOptions.TrimEntries))}");
            }

            return verdict.Split('\n')[0].Trim();
        }

        async Task<List<string>> Ed25519ArgumentsAsync()
        {
            string digestFile = Path.Combine(workDirectory, "digest.bin");
            await File.WriteAllBytesAsync(digestFile, digest, cancellationToken);
            return ["pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", digestFile, "-sigfile", signaturePath];
        }
    }
}
