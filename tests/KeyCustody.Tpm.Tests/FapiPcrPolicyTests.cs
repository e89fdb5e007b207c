// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class FapiPcrPolicyTests
{
    [Fact]
    public void ForCurrentValues_SeveralPcrs_WritesOnePolicyPcrElementEach()
    {
        // Arrange
        int[] pcrs = [0, 2, 4, 7, 23];

        // Act
        using JsonDocument policy = JsonDocument.Parse(FapiPcrPolicy.ForCurrentValues(pcrs, "test"));

        // Assert
        JsonElement[] elements = policy.RootElement.GetProperty("policy").EnumerateArray().ToArray();
        Assert.Equal(pcrs.Length, elements.Length);
        for (int i = 0; i < pcrs.Length; i++)
        {
            Assert.Equal("POLICYPCR", elements[i].GetProperty("type").GetString());
            JsonElement selection = elements[i].GetProperty("currentPCRandBanks")[0];
            Assert.Equal("TPM2_ALG_SHA256", selection.GetProperty("hash").GetString());
            Assert.Equal([pcrs[i]], selection.GetProperty("pcrSelect").EnumerateArray().Select(e => e.GetInt32()));
        }
    }

    [Fact]
    public void TryReadPcrValues_InstantiatedPolicy_ReturnsSha256Values()
    {
        // Arrange: the shape Fapi_ExportPolicy returns for a sealed object.
        const string exported = """
            { "description": "x", "policy": [
              { "type": "POLICYPCR", "pcrs": [ { "pcr": 0, "hashAlg": "SHA256", "digest": "00000000000000000000000000000000000000000000000000000000000000aa" } ] },
              { "type": "POLICYPCR", "pcrs": [ { "pcr": 23, "hashAlg": "SHA256", "digest": "bb00000000000000000000000000000000000000000000000000000000000000" } ] },
              { "type": "POLICYPCR", "pcrs": [ { "pcr": 5, "hashAlg": "SHA1", "digest": "0000000000000000000000000000000000000000" } ] } ] }
            """;

        // Act
        bool ok = FapiPcrPolicy.TryReadPcrValues(exported, out IReadOnlyDictionary<int, byte[]> values);

        // Assert
        Assert.True(ok);
        Assert.Equal([0, 23], values.Keys);
        Assert.Equal(0xAA, values[0][31]);
        Assert.Equal(0xBB, values[23][0]);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"policy\": []}")]
    [InlineData("{\"policy\": [ { \"type\": \"POLICYPCR\", \"pcrs\": [ { \"pcr\": 1, \"hashAlg\": \"SHA256\", \"digest\": \"zz\" } ] } ]}")]
    public void TryReadPcrValues_Unreadable_ReturnsFalse(string json)
    {
        // Arrange
        // (the JSON comes from the theory data)

        // Act
        bool ok = FapiPcrPolicy.TryReadPcrValues(json, out IReadOnlyDictionary<int, byte[]> values);

        // Assert
        Assert.False(ok);
        Assert.Empty(values);
    }

    [Fact]
    public void ForValues_WrongDigestLength_Throws()
    {
        // Arrange
        var values = new Dictionary<int, byte[]> { [23] = new byte[20] };

        // Act
        var error = Assert.Throws<ArgumentException>(() => FapiPcrPolicy.ForValues(values, "x"));

        // Assert
        Assert.Contains("32 bytes", error.Message);
    }
}
