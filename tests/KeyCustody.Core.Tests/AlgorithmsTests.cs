// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Core.Tests;

public class AlgorithmsTests
{
    [Theory]
    [InlineData(DigestAlgorithm.Sha256, 32)]
    [InlineData(DigestAlgorithm.Sha384, 48)]
    [InlineData(DigestAlgorithm.Sha512, 64)]
    public void DigestLength_KnownAlgorithm_MatchesHashSize(DigestAlgorithm algorithm, int expected)
    {
        Assert.Equal(expected, Algorithms.DigestLength(algorithm));
    }

    [Fact]
    public void Names_EveryDigestAlgorithm_RoundTripsThroughTryParse()
    {
        foreach (DigestAlgorithm algorithm in Enum.GetValues<DigestAlgorithm>())
        {
            Assert.True(Algorithms.TryParseDigest(Algorithms.Name(algorithm), out DigestAlgorithm parsed));
            Assert.Equal(algorithm, parsed);
        }
    }

    [Fact]
    public void Names_EveryKeyAlgorithm_RoundTripsThroughTryParse()
    {
        foreach (KeyAlgorithm algorithm in Enum.GetValues<KeyAlgorithm>())
        {
            Assert.True(Algorithms.TryParseKey(Algorithms.Name(algorithm), out KeyAlgorithm parsed));
            Assert.Equal(algorithm, parsed);
        }
    }

    [Theory]
    [InlineData("md5")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParseDigest_Unknown_ReturnsFalse(string? text)
    {
        Assert.False(Algorithms.TryParseDigest(text, out _));
    }
}
