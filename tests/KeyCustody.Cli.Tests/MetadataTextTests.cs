// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Cli.Parsing;
using KeyCustody.Protocol.V1;
using Xunit;

namespace KeyCustody.Cli.Tests;

public sealed class MetadataTextTests
{
    [Fact]
    public void TryParse_NamedKeysAndLabels_FillsFieldsAndLabels()
    {
        // Arrange
        string[] pairs = ["name=app_1.2.0_all.deb", "version=1.2.0", "repository=git.example/app", "commit=abc123",
            "pipeline_run=42", "team=release", "note=a=b"];

        // Act
        bool ok = MetadataText.TryParse(pairs, out ArtifactMetadata? metadata, out string? error);

        // Assert
        Assert.True(ok, error);
        Assert.Equal("app_1.2.0_all.deb", metadata!.Name);
        Assert.Equal("1.2.0", metadata.Version);
        Assert.Equal("git.example/app", metadata.Repository);
        Assert.Equal("abc123", metadata.Commit);
        Assert.Equal("42", metadata.PipelineRun);
        Assert.Equal("release", metadata.Labels["team"]);
        Assert.Equal("a=b", metadata.Labels["note"]);
        Assert.Equal(2, metadata.Labels.Count);
    }

    [Theory]
    [InlineData("novalue", "is not KEY=VALUE")]
    [InlineData("=x", "is not KEY=VALUE")]
    [InlineData("a b=x", "empty key or one with spaces")]
    public void TryParse_BadPair_NamesIt(string pair, string expectedFragment)
    {
        // Arrange / Act
        bool ok = MetadataText.TryParse([pair], out ArtifactMetadata? metadata, out string? error);

        // Assert
        Assert.False(ok);
        Assert.Null(metadata);
        Assert.Contains(expectedFragment, error);
        Assert.Contains(pair, error);
    }

    [Fact]
    public void TryParse_DuplicateKeyInEitherSpelling_IsRejected()
    {
        // Arrange / Act
        bool ok = MetadataText.TryParse(["pipeline-run=1", "pipeline_run=2"], out _, out string? error);

        // Assert
        Assert.False(ok);
        Assert.Contains("more than once", error);
    }

    [Fact]
    public void TryParse_Nothing_IsEmptyMetadata()
    {
        // Arrange / Act
        bool ok = MetadataText.TryParse([], out ArtifactMetadata? metadata, out _);

        // Assert
        Assert.True(ok);
        Assert.Equal(new ArtifactMetadata(), metadata);
    }
}
