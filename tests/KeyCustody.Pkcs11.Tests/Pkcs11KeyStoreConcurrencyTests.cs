// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>The pool under concurrent use: more callers than sessions, every signature valid.</summary>
public sealed class Pkcs11KeyStoreConcurrencyTests(KeyStoreFixture fixture) : IClassFixture<KeyStoreFixture>
{
    [Fact]
    public async Task SignAsync_EightThreadsFiveHundredEach_AllSignaturesVerify()
    {
        // Arrange: 8 callers on a pool of 4 sessions, alternating between an ECDSA and an Ed25519 key.
        await using Pkcs11KeyStore store = fixture.CreateStore(poolSize: 4);
        KeyInfo ecdsa = await store.GenerateKeyAsync(new KeySpec(KeyName.Parse("busy-p256"), KeyAlgorithm.EcdsaP256));
        KeyInfo eddsa = await store.GenerateKeyAsync(new KeySpec(KeyName.Parse("busy-ed25519"), KeyAlgorithm.Ed25519));
        var results = new ConcurrentBag<(KeyInfo Key, SignInput Input, byte[] Signature)>();

        // Act
        Task[] workers = Enumerable.Range(0, 8).Select(thread => Task.Run(async () =>
        {
            for (int i = 0; i < 500; i++)
            {
                KeyInfo key = (thread + i) % 2 == 0 ? ecdsa : eddsa;
                byte[] message = System.Text.Encoding.UTF8.GetBytes($"thread {thread} signature {i}");
                SignInput input = key.Algorithm == KeyAlgorithm.Ed25519
                    ? new SignInput(message, DigestAlgorithm.Sha256, SignatureScheme.Ed25519)
                    : new SignInput(TestData.Digest(DigestAlgorithm.Sha256, message), DigestAlgorithm.Sha256, SignatureScheme.EcdsaDer);
                results.Add((key, input, await store.SignAsync(key.Name, input)));
            }
        })).ToArray();
        await Task.WhenAll(workers);

        // Assert
        Assert.Equal(4000, results.Count);
        Assert.All(results, r => Assert.True(SignatureVerification.Verify(r.Key.SubjectPublicKeyInfo.Span, r.Input, r.Signature)));
        Assert.Equal(4000, results.Select(r => Convert.ToHexString(r.Signature)).Distinct().Count());
    }
}
