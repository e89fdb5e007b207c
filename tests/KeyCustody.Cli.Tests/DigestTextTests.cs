// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Cli.Parsing;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class DigestTextTests
{
    [Theory]
    [InlineData("sha256", 32, DigestAlgorithm.Sha256)]
    [InlineData("SHA384", 48, DigestAlgorithm.Sha384)]
    [InlineData("sha-512", 64, DigestAlgorithm.Sha512)]
    public void TryParse_ValidDigest_ReturnsAlgorithmAndBytes(string algorithm, int length, DigestAlgorithm expected)
    {
        // Arrange
        byte[] bytes = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();
        string text = algorithm + ":" + Convert.ToHexString(bytes);

        // Act
        bool ok = DigestText.TryParse(text, out DigestText? digest, out string? error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal(expected, digest!.Algorithm);
        Assert.Equal(bytes, digest.Value);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("abcdef", "no algorithm prefix")]
    [InlineData(":abcdef", "no algorithm prefix")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e", "unknown digest algorithm 'md5'")]
    [InlineData("sha256:abcd", "64 hex digits, got 4")]
    [InlineData("sha256:zz01020304050607080910111213141516171819202122232425262728293031", "'z', which is not a hex digit")]
    public void TryParse_Malformed_ExplainsWhy(string text, string expectedFragment)
    {
        // Arrange / Act
        bool ok = DigestText.TryParse(text, out DigestText? digest, out string? error);

        // Assert
        Assert.False(ok);
        Assert.Null(digest);
        Assert.Contains(expectedFragment, error);
    }

    [Fact]
    public void ToString_RoundTrips_LowerCaseCanonical()
    {
        // Arrange
        string upper = "SHA256:" + new string('A', 64);

        // Act
        Assert.True(DigestText.TryParse(upper, out DigestText? digest, out _));
        string text = digest!.ToString();

        // Assert
        Assert.Equal("sha256:" + new string('a', 64), text);
    }

    [Theory]
    [InlineData(DigestAlgorithm.Sha256)]
    [InlineData(DigestAlgorithm.Sha512)]
    public async Task HashFileAsync_MultiMegabyteFile_MatchesOneShotHashAndReportsProgress(DigestAlgorithm algorithm)
    {
        // Arrange
        using var temp = new TempDirectory();
        string path = temp.File("artifact.bin");
        byte[] content = new byte[(3 << 20) + 12345];
        new Random(42).NextBytes(content);
        await File.WriteAllBytesAsync(path, content);
        byte[] expected = algorithm == DigestAlgorithm.Sha256 ? SHA256.HashData(content) : SHA512.HashData(content);
        long lastReported = 0;
        var progress = new SynchronousProgress(v => lastReported = v);

        // Act
        DigestText digest = await FileDigester.HashFileAsync(path, algorithm, progress);

        // Assert
        Assert.Equal(algorithm, digest.Algorithm);
        Assert.Equal(expected, digest.Value);
        Assert.Equal(content.Length, lastReported);
    }

    [Fact]
    public async Task HashFileAsync_MissingFile_ThrowsInvalidArgumentNamingThePath()
    {
        // Arrange
        using var temp = new TempDirectory();
        string path = temp.File("nope.bin");

        // Act
        var e = await Assert.ThrowsAsync<CustodyException>(() => FileDigester.HashFileAsync(path, DigestAlgorithm.Sha256));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task HashFileAsync_EmptyFile_IsTheEmptyStringHash()
    {
        // Arrange
        using var temp = new TempDirectory();
        string path = temp.File("empty");
        await File.WriteAllBytesAsync(path, []);

        // Act
        DigestText digest = await FileDigester.HashFileAsync(path, DigestAlgorithm.Sha256);

        // Assert
        Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest.ToString());
    }

    // Progress<T> posts to the thread pool; the test needs the value before HashFileAsync returns.
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
