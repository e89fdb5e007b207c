// SPDX-License-Identifier: Apache-2.0
using System.Runtime.CompilerServices;
using KeyCustody.Audit;
using Xunit;

namespace KeyCustody.Audit.Tests;

/// <summary>
/// The data-driven verifier suite: every file under vectors/ names its material, a description and the error the
/// verifier must report. Valid logs of several sizes verify; every tampered case is detected with its precise error.
/// </summary>
public sealed class AuditVectorTests
{
    private static readonly string s_committed = Path.Combine(AppContext.BaseDirectory, "vectors");

    public static TheoryData<string> CommittedVectorNames()
    {
        var names = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(s_committed, "*.json").Order(StringComparer.Ordinal))
        {
            names.Add(Path.GetFileNameWithoutExtension(file));
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(CommittedVectorNames))]
    public void Verify_CommittedVector_ReportsExpectedError(string name)
    {
        // Arrange
        AuditVector vector = AuditVectors.Read(Path.Combine(s_committed, name + ".json"));
        using AuditPublicKey key = AuditPublicKey.FromPem(File.ReadAllText(Path.Combine(s_committed, AuditVectors.KeyFile)));

        // Act
        AuditVerificationError actual = AuditVectors.Run(vector, key);

        // Assert
        Assert.True(vector.ExpectedError == actual, $"{name} ({vector.Desc}): expected {vector.ExpectedError}, verifier said {actual}");
    }

    [Fact]
    public void CommittedVectors_RequiredCases_ArePresentAndEveryTamperedOneIsDetected()
    {
        // Arrange
        using AuditPublicKey key = AuditPublicKey.FromPem(File.ReadAllText(Path.Combine(s_committed, AuditVectors.KeyFile)));
        List<AuditVector> vectors = [.. Directory.EnumerateFiles(s_committed, "*.json").Select(AuditVectors.Read)];
        string[] required =
        [
            "log-valid-size-1", "log-valid-size-7", "log-valid-size-64", "log-valid-size-100",
            "log-entry-bit-flipped", "receipt-proof-bit-flipped", "consistency-proof-bit-flipped",
            "log-checkpoint-signature-bit-flipped", "receipt-checkpoint-signature-bit-flipped",
            "log-entries-reordered", "log-truncated-mid-line", "log-truncated-at-line", "log-trailing-garbage",
            "log-checkpoint-other-key", "receipt-checkpoint-other-key", "checkpoint-other-key",
        ];

        // Act
        List<AuditVector> tampered = [.. vectors.Where(v => v.ExpectedError != AuditVerificationError.None)];
        int detected = tampered.Count(v => AuditVectors.Run(v, key) != AuditVerificationError.None);

        // Assert
        Assert.All(required, name => Assert.Contains(vectors, v => v.Name == name));
        Assert.All(vectors, v => Assert.False(string.IsNullOrWhiteSpace(v.Desc), v.Name));
        Assert.True(tampered.Count >= 40, $"only {tampered.Count} tampered vectors");
        Assert.Equal(tampered.Count, detected);
    }

    [Fact]
    public async Task GenerateAsync_FreshVectors_SameCasesAndOutcomesAsCommitted()
    {
        // Arrange
        (string pem, List<AuditVector> fresh) = await AuditVectors.GenerateAsync();
        using AuditPublicKey key = AuditPublicKey.FromPem(pem);
        if (Environment.GetEnvironmentVariable("KEYCUSTODY_WRITE_VECTORS") == "1")
        {
            AuditVectors.Write(SourceVectorDirectory(), pem, fresh);
        }

        Dictionary<string, AuditVector> committed = Directory.EnumerateFiles(s_committed, "*.json")
            .Select(AuditVectors.Read).ToDictionary(v => v.Name);

        // Act
        List<string> wrong = [.. fresh.Where(v => AuditVectors.Run(v, key) != v.ExpectedError).Select(v => v.Name)];

        // Assert: the generator still produces the committed case list with the committed expectations.
        Assert.Empty(wrong);
        Assert.Equal(committed.Keys.Order(StringComparer.Ordinal), fresh.Select(v => v.Name).Order(StringComparer.Ordinal));
        Assert.All(fresh, v => Assert.Equal(committed[v.Name].ExpectedError, v.ExpectedError));
    }

    private static string SourceVectorDirectory([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "vectors");
}
