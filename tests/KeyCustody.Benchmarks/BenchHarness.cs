// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Benchmarks;

/// <summary>
/// One reported figure. <see cref="Ratio"/> = <see cref="Value"/> ÷ <see cref="Baseline"/>, both measured in the
/// same run (or, for absolute budgets such as RSS, the baseline is the budget and the note says so).
/// </summary>
/// <param name="Name">Stable metric name, e.g. "pkcs11-sign-p256-1thread".</param>
/// <param name="Value">The measured value.</param>
/// <param name="Unit">Its unit ("sig/s", "ms", "MB", …).</param>
/// <param name="BaselineName">What the baseline is, e.g. "c-loop-c_sign-p256".</param>
/// <param name="Baseline">The baseline value in the same unit.</param>
/// <param name="Target">The ratio target, or null for a figure reported for information only.</param>
/// <param name="AtLeast">True when the ratio must be ≥ target, false when ≤ target.</param>
public sealed record BenchResult(string Name, double Value, string Unit, string BaselineName, double Baseline, double? Target, bool AtLeast)
{
    /// <summary>Value ÷ baseline.</summary>
    public double Ratio => Baseline == 0 ? double.NaN : Value / Baseline;

    /// <summary>Whether the target is met; null when the figure has no target.</summary>
    public bool? Pass => Target is not { } target ? null : !double.IsNaN(Ratio) && (AtLeast ? Ratio >= target : Ratio <= target);

    /// <summary>The target as text ("&gt;= 0.9"), or "-" when there is none.</summary>
    public string TargetText => Target is { } target ? (AtLeast ? ">= " : "<= ") + target.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
}

/// <summary>
/// A group of benchmarks (one per subsystem). The runner discovers every non-abstract implementation by
/// reflection, so adding a suite is adding a file.
/// </summary>
public interface IBenchmarkSuite
{
    /// <summary>Short name used with `./build.sh bench NAME` to run one suite.</summary>
    string Name { get; }

    /// <summary>Runs the suite and returns its figures.</summary>
    Task<IReadOnlyList<BenchResult>> RunAsync(CancellationToken cancellationToken);
}
