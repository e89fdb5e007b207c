// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Daemon.Hosting;
using KeyCustody.Testing;

namespace KeyCustody.Daemon.Tests;

public sealed class DaemonMeasurementTests
{
    [Fact]
    public void Compute_SameBuildAndConfig_IsStable()
    {
        // Arrange
        byte[] config = "{\"a\":1}"u8.ToArray();

        // Act
        DaemonMeasurement first = DaemonMeasurement.Compute(config);
        DaemonMeasurement second = DaemonMeasurement.Compute(config);

        // Assert
        Assert.Equal(first.Digest, second.Digest);
        Assert.Equal(32, first.Digest.Length);
    }

    [Fact]
    public void Compute_ConfigChanged_ChangesTheDigestButNotTheBuild()
    {
        // Arrange
        DaemonMeasurement before = DaemonMeasurement.Compute("{\"a\":1}"u8);

        // Act
        DaemonMeasurement after = DaemonMeasurement.Compute("{\"a\":2}"u8);

        // Assert
        Assert.Equal(before.BuildSha256, after.BuildSha256);
        Assert.NotEqual(before.Digest, after.Digest);
    }

    [Fact]
    public void Compute_AssemblyChanged_ChangesTheBuildHash()
    {
        // Arrange
        using var dir = new TempDirectory("measure");
        File.WriteAllBytes(dir.File("keycustodyd.dll"), [1, 2, 3]);
        File.WriteAllBytes(dir.File("Other.dll"), [9]);
        DaemonMeasurement before = DaemonMeasurement.Compute("{}"u8, dir.Path);

        // Act
        File.WriteAllBytes(dir.File("Other.dll"), [8]);
        DaemonMeasurement unrelated = DaemonMeasurement.Compute("{}"u8, dir.Path);
        File.WriteAllBytes(dir.File("KeyCustody.Core.dll"), [4]);
        DaemonMeasurement after = DaemonMeasurement.Compute("{}"u8, dir.Path);

        // Assert
        Assert.Equal(before.BuildSha256, unrelated.BuildSha256);
        Assert.NotEqual(before.BuildSha256, after.BuildSha256);
    }
}
