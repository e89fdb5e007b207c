// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Tpm.Tests;

public sealed class TpmNvCounterTests(TpmFixture tpm) : IClassFixture<TpmFixture>
{
    [Fact]
    public async Task CreateAsync_Twice_CreatesOnceAndKeepsTheValue()
    {
        // Arrange
        var counter = new TpmNvCounter(tpm.Device.Fapi, "/nv/Owner/idempotent");

        // Act
        bool created = await counter.CreateAsync();
        ulong afterCreate = await counter.ReadAsync();
        bool createdAgain = await counter.CreateAsync();
        ulong afterSecondCreate = await counter.ReadAsync();

        // Assert
        Assert.True(created);
        Assert.False(createdAgain);
        Assert.True(afterCreate >= 1);
        Assert.Equal(afterCreate, afterSecondCreate);
    }

    [Fact]
    public async Task IncrementAsync_AcrossNewContextsProcessesAndSwtpmRestarts_StrictlyIncreases()
    {
        // Arrange
        TpmNvCounter counter = await tpm.Device.OpenCounterAsync(create: true);
        var seen = new List<ulong> { await counter.ReadAsync() };

        // Act
        seen.Add(await counter.IncrementAsync());
        seen.Add(await counter.IncrementAsync());

        // a new FAPI context (what a daemon restart does)
        using (TpmDevice restarted = await tpm.OpenAnotherAsync())
        {
            TpmNvCounter again = await restarted.OpenCounterAsync(create: true);
            Assert.Equal(seen[^1], await again.ReadAsync());
            seen.Add(await again.IncrementAsync());
        }

        // another process reading through FAPI with our generated configuration
        ulong readByTss2Tool = await ReadWithTss2NvReadAsync(counter.Path);

        // swtpm shut down and started on the same state; the old context reconnects by itself
        await tpm.Swtpm.RestartAsync(graceful: true);
        Assert.Equal(seen[^1], await counter.ReadAsync());
        seen.Add(await counter.IncrementAsync());

        // swtpm killed (power loss) and started again
        await tpm.Swtpm.RestartAsync(graceful: false);
        Assert.Equal(seen[^1], await counter.ReadAsync());
        seen.Add(await counter.IncrementAsync());

        // Assert
        Assert.Equal(seen[3], readByTss2Tool);
        for (int i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i] > seen[i - 1], $"counter went from {seen[i - 1]} to {seen[i]} at step {i}");
        }
    }

    [Fact]
    public async Task ReadAsync_CounterNeverCreated_ThrowsNotProvisioned()
    {
        // Arrange
        var counter = new TpmNvCounter(tpm.Device.Fapi, "/nv/Owner/never-created");

        // Act
        var read = await Assert.ThrowsAsync<CustodyException>(async () => await counter.ReadAsync());
        var increment = await Assert.ThrowsAsync<CustodyException>(async () => await counter.IncrementAsync());

        // Assert
        Assert.Equal(CustodyStatus.NotProvisioned, read.Status);
        Assert.Equal(CustodyStatus.NotProvisioned, increment.Status);
        Assert.False(await counter.ExistsAsync());
    }

    [Fact]
    public async Task ReadAsync_SwtpmStopped_ThrowsTpmUnavailableThenRecovers()
    {
        // Arrange
        TpmNvCounter counter = await tpm.Device.OpenCounterAsync(create: true);
        ulong before = await counter.ReadAsync();
        await tpm.Swtpm.StopAsync();

        // Act
        CustodyException error;
        try
        {
            error = await Assert.ThrowsAsync<CustodyException>(async () => await counter.ReadAsync());
        }
        finally
        {
            await tpm.Swtpm.StartAsync();
        }

        ulong after = await counter.ReadAsync();

        // Assert
        Assert.Equal(CustodyStatus.TpmUnavailable, error.Status);
        Assert.True(error.IsTransient);
        Assert.Contains("not reachable", error.Message);
        Assert.Equal(before, after);
    }

    private async Task<ulong> ReadWithTss2NvReadAsync(string path)
    {
        using var dir = new TempDirectory("keycustody-nvread");
        var environment = new Dictionary<string, string>
        {
            ["TSS2_FAPICONF"] = FapiConfiguration.FromOptions(tpm.Options).ConfigurationFile,
        };
        (await ProcessRunner.RunAsync("tss2_nvread", ["--nvPath", path, "--data", dir.File("value.bin"), "--force"], environment))
            .EnsureSuccess("tss2_nvread");
        return BinaryPrimitives.ReadUInt64BigEndian(await File.ReadAllBytesAsync(dir.File("value.bin")));
    }
}
