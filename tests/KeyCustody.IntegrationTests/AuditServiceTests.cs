// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Grpc;
using KeyCustody.Grpc.Client;
using KeyCustody.IntegrationTests.Infrastructure;
using Pb = KeyCustody.Protocol.V1;

namespace KeyCustody.IntegrationTests;

/// <summary>AuditService answers that an auditor checks offline with nothing but the appliance's public audit key.</summary>
public sealed class AuditServiceTests(DevApplianceFixture appliance) : IClassFixture<DevApplianceFixture>
{
    private static CallOptions Options => CallOptions.WithTimeout(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Checkpoints_InclusionAndConsistencyProofs_VerifyOffline()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();
        GrpcChannel channel = client.Channel;
        using AuditPublicKey key = AuditPublicKey.FromPem((await client.AuditKeyAsync()).PublicKeyPem);
        var verifier = new AuditVerifier(key, (await client.AuditKeyAsync()).KeyName);
        Pb.GetCheckpointResponse first = await channel.UnaryAsync("/keycustody.v1.AuditService/GetCheckpoint", new Pb.GetCheckpointRequest(),
            Pb.GetCheckpointResponse.Parser, Options);
        Pb.SignResponse signed = await client.SignAsync(new Pb.SignRequest { Key = "dev-low", Digest = Peers.Artifact("audited").Digest });

        // Act
        Pb.GetInclusionProofResponse inclusion = await channel.UnaryAsync("/keycustody.v1.AuditService/GetInclusionProof",
            new Pb.GetInclusionProofRequest { LeafIndex = signed.Receipt.LeafIndex }, Pb.GetInclusionProofResponse.Parser, Options);
        Pb.GetConsistencyProofResponse consistency = await channel.UnaryAsync("/keycustody.v1.AuditService/GetConsistencyProof",
            new Pb.GetConsistencyProofRequest { FirstSize = first.TreeSize, SecondSize = inclusion.TreeSize }, Pb.GetConsistencyProofResponse.Parser, Options);
        Pb.Receipt byRequest = await client.ReceiptAsync(signed.RequestId);

        // Assert
        Checkpoint before = verifier.VerifyCheckpoint(first.Checkpoint);
        Checkpoint after = verifier.VerifyCheckpoint(inclusion.Checkpoint);
        Assert.Equal(first.TreeSize, before.TreeSize);
        Assert.True(after.TreeSize > signed.Receipt.LeafIndex);
        Assert.True(MerkleProof.VerifyInclusion(MerkleHash.HashLeaf(signed.Receipt.Entry.Span), signed.Receipt.LeafIndex, after.TreeSize,
            [.. inclusion.Hashes.Select(h => h.ToByteArray())], after.RootHash));
        Assert.True(MerkleProof.VerifyConsistency(before.TreeSize, after.TreeSize, before.RootHash, after.RootHash,
            [.. consistency.Hashes.Select(h => h.ToByteArray())]));
        Assert.Equal(signed.Receipt.LeafIndex, byRequest.LeafIndex);
        Assert.Contains(signed.RequestId, Peers.VerifyReceipt(await client.AuditKeyAsync(), byRequest));
    }

    [Fact]
    public async Task ListEntries_FromStart_ReturnsEveryEntryInOrder()
    {
        // Arrange
        using ApplianceClient client = appliance.Client(clientCertificate: null);

        // Act
        Pb.ListEntriesResponse page = await client.EntriesAsync(0, 5);

        // Assert
        Assert.True(page.TreeSize >= 3);
        Assert.Equal(Enumerable.Range(0, page.Entries.Count).Select(i => (long)i), page.Entries.Select(e => e.Index));
        Assert.Contains("appliance.started", page.Entries[0].Entry.ToStringUtf8());
    }

    [Fact]
    public async Task Ceremonies_AreNotOfferedYet_Unimplemented()
    {
        // Arrange
        using ApplianceClient client = appliance.Client();

        // Act
        RpcException ex = await Peers.FailsAsync(() => client.Channel.UnaryAsync("/keycustody.v1.CeremonyService/ProposeCeremony",
            new Pb.ProposeCeremonyRequest { Kind = Pb.CeremonyKind.GenerateKey }, Pb.Ceremony.Parser, Options));

        // Assert
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }
}
