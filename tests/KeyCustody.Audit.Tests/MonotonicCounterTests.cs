// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Testing;
using Xunit;

namespace KeyCustody.Audit.Tests;

public sealed class MonotonicCounterTests : IDisposable
{
    private readonly TempDirectory _temp = new("keycustody-counter");

    [Fact]
    public async Task FileCounter_IncrementThenReopen_KeepsValue()
    {
        // Arrange
        string path = _temp.File("counter");
        var counter = new FileMonotonicCounter(path);

        // Act
        ulong first = await counter.IncrementAsync();
        ulong second = await counter.IncrementAsync();
        ulong reread = await new FileMonotonicCounter(path).ReadAsync();

        // Assert
        Assert.Equal(1UL, first);
        Assert.Equal(2UL, second);
        Assert.Equal(2UL, reread);
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task FileCounter_ConcurrentIncrements_NeverRepeatAValue()
    {
        // Arrange
        var counter = new FileMonotonicCounter(_temp.File("counter"));

        // Act
        ulong[] values = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => counter.IncrementAsync().AsTask()));

        // Assert
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (ulong)i), values.Order());
        Assert.Equal(40UL, await counter.ReadAsync());
    }

    [Fact]
    public async Task FileCounter_Garbage_ThrowsAuditCorrupt()
    {
        // Arrange
        string path = _temp.File("counter");
        await File.WriteAllTextAsync(path, "twelve");

        // Act
        var ex = await Assert.ThrowsAsync<CustodyException>(() => new FileMonotonicCounter(path).ReadAsync().AsTask());

        // Assert
        Assert.Equal(CustodyStatus.AuditCorrupt, ex.Status);
    }

    [Fact]
    public async Task InMemoryCounter_Increment_StartsFromInitial()
    {
        // Arrange
        var counter = new InMemoryMonotonicCounter(5);

        // Act
        ulong next = await counter.IncrementAsync();

        // Assert
        Assert.Equal(6UL, next);
        Assert.Equal(6UL, await counter.ReadAsync());
    }

    public void Dispose() => _temp.Dispose();
}
