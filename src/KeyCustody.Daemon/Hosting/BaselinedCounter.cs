// SPDX-License-Identifier: Apache-2.0
using System.Globalization;
using KeyCustody.Core;
using KeyCustody.Core.Ports;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// Adapts the TPM NV counter to the audit log's contract (the value counts published checkpoints, 0 for a new
/// log). A TPM counter does not start at 0: it is unreadable until its first increment, and a new NV counter
/// starts at the highest value any counter on that TPM ever had (TPM 2.0 Part 1, "NV Counters"). The value at
/// creation is the baseline, recorded once in the state directory when this daemon creates the counter.
/// </summary>
/// <remarks>
/// The baseline file never changes after creation, so restoring an older copy of the state directory restores the
/// same baseline and the rollback is still detected. It is not itself protected against someone editing it; a
/// signed counter value inside each checkpoint would close that gap (noted for the audit log).
/// </remarks>
internal sealed class BaselinedCounter(IMonotonicCounter inner, ulong baseline) : IMonotonicCounter
{
    /// <summary>The file name of the recorded baseline.</summary>
    public const string FileName = "audit-counter-baseline";

    /// <summary>The TPM counter value that stands for zero published checkpoints.</summary>
    public ulong Baseline => baseline;

    /// <summary>Reads (or, when <paramref name="createdNow"/>, records) the baseline for <paramref name="counter"/>.</summary>
    public static async Task<BaselinedCounter> OpenAsync(IMonotonicCounter counter, bool createdNow, string stateDirectory, CancellationToken cancellationToken)
    {
        string path = Path.Combine(stateDirectory, FileName);
        if (createdNow)
        {
            ulong value = await counter.ReadAsync(cancellationToken).ConfigureAwait(false);
            string temp = path + ".tmp";
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture) + "\n"), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            return new BaselinedCounter(counter, value);
        }

        if (!File.Exists(path))
        {
            throw new CustodyException(CustodyStatus.AuditRolledBack,
                $"The TPM audit counter exists but {path} does not: this state directory is not the one that counter anchors (replaced or lost). Restore the appliance's state directory; do not serve from this one.");
        }

        string text = (await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)).Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong recorded)
            ? new BaselinedCounter(counter, recorded)
            : throw new CustodyException(CustodyStatus.AuditCorrupt, $"{path} does not hold a counter value.");
    }

    /// <inheritdoc />
    public async ValueTask<ulong> ReadAsync(CancellationToken cancellationToken = default) =>
        Relative(await inner.ReadAsync(cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public async ValueTask<ulong> IncrementAsync(CancellationToken cancellationToken = default) =>
        Relative(await inner.IncrementAsync(cancellationToken).ConfigureAwait(false));

    private ulong Relative(ulong value) => value >= baseline
        ? value - baseline
        : throw new CustodyException(CustodyStatus.AuditCorrupt,
            $"The TPM audit counter reads {value}, below its recorded baseline {baseline}: the counter belongs to another TPM or the baseline was altered.");
}
