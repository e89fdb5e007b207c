// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;

namespace KeyCustody.Gpio.Tests;

/// <summary>Generous bounds for waiting on a condition on a loaded CI machine (never a timing assertion).</summary>
internal static class Deadline
{
    internal static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    internal static CancellationTokenSource Start() => new(Wait);

    /// <summary>Reads the next press, failing (not hanging) when none arrives within <see cref="Wait"/>.</summary>
    internal static async Task<ButtonPress> NextAsync(IAsyncEnumerator<ButtonPress> presses)
    {
        Task<bool> move = presses.MoveNextAsync().AsTask();
        Task winner = await Task.WhenAny(move, Task.Delay(Wait));
        Assert.True(winner == move, $"No press arrived within {Wait.TotalSeconds} s.");
        Assert.True(await move, "The press stream ended before a press arrived.");
        return presses.Current;
    }

    /// <summary>Waits for a task that must finish, failing when it does not within <see cref="Wait"/>.</summary>
    internal static async Task<T> FinishAsync<T>(Task<T> task, string what)
    {
        Task winner = await Task.WhenAny(task, Task.Delay(Wait));
        Assert.True(winner == task, $"{what} did not finish within {Wait.TotalSeconds} s.");
        return await task;
    }

    /// <summary>Collects every press until the stream ends.</summary>
    internal static async Task<List<ButtonPress>> ReadToEndAsync(IPresenceButton button)
    {
        using CancellationTokenSource cts = Start();
        var presses = new List<ButtonPress>();
        await foreach (ButtonPress press in button.ReadPressesAsync(cts.Token))
        {
            presses.Add(press);
        }

        return presses;
    }
}
