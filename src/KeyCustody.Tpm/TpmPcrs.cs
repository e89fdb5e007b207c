// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Tpm;

/// <summary>
/// Reads and extends the TPM's SHA-256 PCRs. The daemon calls <see cref="ExtendMeasurementAsync"/> once at start
/// with the hash of its build and configuration, before it unseals the HSM PIN.
/// </summary>
public sealed class TpmPcrs
{
    private readonly FapiContext _fapi;
    private readonly TpmOptions _options;
    private readonly ILogger _logger;

    /// <summary>PCR access over <paramref name="fapi"/>.</summary>
    public TpmPcrs(FapiContext fapi, TpmOptions options, ILogger<TpmPcrs>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(fapi);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _fapi = fapi;
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The PCR <see cref="ExtendMeasurementAsync"/> extends.</summary>
    public int MeasurementPcr => _options.MeasurementPcr;

    /// <summary>
    /// Extends <see cref="MeasurementPcr"/> with <paramref name="sha256"/> (the daemon's build-and-configuration
    /// hash). FAPI records the event in its log; the TPM hashes the 32 bytes once more (TPM2_PCR_Event), so the PCR
    /// becomes <c>SHA-256(old ‖ SHA-256(sha256))</c> — see <see cref="PredictAfterMeasurements"/>.
    /// </summary>
    public ValueTask ExtendMeasurementAsync(ReadOnlyMemory<byte> sha256, string description = "keycustodyd build and configuration", CancellationToken cancellationToken = default) =>
        ExtendAsync(MeasurementPcr, sha256, description, cancellationToken);

    /// <summary>Extends <paramref name="pcr"/> with the measurement <paramref name="sha256"/> (see <see cref="ExtendMeasurementAsync"/>).</summary>
    public ValueTask ExtendAsync(int pcr, ReadOnlyMemory<byte> sha256, string description, CancellationToken cancellationToken = default)
    {
        if (pcr is < 0 or > 23)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"PCR index {pcr} is outside 0-23.");
        }

        if (sha256.Length != 32)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"A measurement is a SHA-256 digest (32 bytes), not {sha256.Length} bytes.");
        }

        ArgumentNullException.ThrowIfNull(description);
        return TpmOperation.RunAsync($"Extending PCR {pcr}", () =>
        {
            _fapi.PcrExtend(pcr, sha256.Span, LogData(description, sha256.Span));
            TpmLog.PcrExtended(_logger, pcr, description);
        }, cancellationToken);
    }

    /// <summary>Reads SHA-256 PCR values; by default those of <see cref="TpmOptions.SealPcrs"/>.</summary>
    public ValueTask<IReadOnlyDictionary<int, byte[]>> ReadPcrsAsync(IEnumerable<int>? pcrs = null, CancellationToken cancellationToken = default)
    {
        int[] selection = (pcrs ?? _options.SealPcrs).Distinct().Order().ToArray();
        if (selection.Any(p => p is < 0 or > 23))
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "PCR indices are 0-23.");
        }

        return TpmOperation.RunAsync("Reading PCRs", () => _fapi.Exclusive(() =>
        {
            var values = new SortedDictionary<int, byte[]>();
            foreach (int pcr in selection)
            {
                values[pcr] = _fapi.PcrRead(pcr).Value;
            }

            return (IReadOnlyDictionary<int, byte[]>)values;
        }), cancellationToken);
    }

    /// <summary>
    /// The value a SHA-256 PCR has after <paramref name="measurements"/> were extended through
    /// <see cref="ExtendAsync"/>, starting from <paramref name="initial"/> (all zeros after a reset when null).
    /// Use it to predict the measurement PCR for <see cref="TpmSecretSealer.SealToValuesAsync"/>.
    /// </summary>
    public static byte[] PredictAfterMeasurements(IEnumerable<byte[]> measurements, byte[]? initial = null)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        byte[] pcr = initial is null ? new byte[32] : (byte[])initial.Clone();
        foreach (byte[] measurement in measurements)
        {
            pcr = SHA256.HashData([.. pcr, .. SHA256.HashData(measurement)]);
        }

        return pcr;
    }

    private static string LogData(string description, ReadOnlySpan<byte> sha256)
    {
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("description", description);
            json.WriteString("sha256", Convert.ToHexStringLower(sha256));
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
