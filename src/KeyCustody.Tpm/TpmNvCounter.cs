// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Tpm;

/// <summary>
/// <see cref="IMonotonicCounter"/> on a TPM NV counter index (FAPI type "counter": TPM_NT_COUNTER, owner
/// hierarchy). The TPM only ever increments it, keeps it across power loss, and starts a newly defined counter at
/// the highest value any counter on the TPM has reached (TPM 2.0 Part 1 §37.2.2 "NV Counters"), so deleting
/// and recreating the index cannot roll it back either.
/// </summary>
public sealed class TpmNvCounter : IMonotonicCounter
{
    /// <summary>The audit log's counter.</summary>
    public const string DefaultPath = "/nv/Owner/keycustody-audit-counter";

    private readonly FapiContext _fapi;
    private readonly ILogger _logger;

    /// <summary>A counter at <paramref name="path"/> (which must be under /nv/Owner). It may not exist yet: see <see cref="CreateAsync"/>.</summary>
    public TpmNvCounter(FapiContext fapi, string path = DefaultPath, ILogger<TpmNvCounter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(fapi);
        if (!path.StartsWith("/nv/Owner/", StringComparison.Ordinal) || path.Length <= "/nv/Owner/".Length)
        {
            throw new ArgumentException("An NV counter path looks like /nv/Owner/NAME.", nameof(path));
        }

        TpmOperation.ValidateName(path["/nv/Owner/".Length..], "NV counter");
        _fapi = fapi;
        Path = path;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The FAPI path of the NV index.</summary>
    public string Path { get; }

    /// <summary>
    /// Defines the counter when it does not exist (returns true) and does nothing otherwise (returns false). A
    /// new TPM counter is unreadable until its first increment, so creation increments it once.
    /// </summary>
    public ValueTask<bool> CreateAsync(CancellationToken cancellationToken = default) =>
        TpmOperation.RunAsync("Creating the TPM NV counter", () => _fapi.Exclusive(() =>
        {
            if (_fapi.Exists(Path))
            {
                return false;
            }

            _fapi.CreateNv(Path, "counter,noDa");
            _fapi.NvIncrement(Path);
            TpmLog.CounterCreated(_logger, Path, ReadValue());
            return true;
        }), cancellationToken);

    /// <summary>True when the counter is defined.</summary>
    public ValueTask<bool> ExistsAsync(CancellationToken cancellationToken = default) =>
        TpmOperation.RunAsync("Looking up the TPM NV counter", () => _fapi.Exists(Path), cancellationToken);

    /// <inheritdoc />
    /// <exception cref="CustodyException">NotProvisioned when the counter was never created.</exception>
    public ValueTask<ulong> ReadAsync(CancellationToken cancellationToken = default) =>
        TpmOperation.RunAsync("Reading the TPM NV counter", () => _fapi.Exclusive(() =>
        {
            EnsureExists();
            return ReadValue();
        }), cancellationToken);

    /// <inheritdoc />
    /// <exception cref="CustodyException">NotProvisioned when the counter was never created.</exception>
    public ValueTask<ulong> IncrementAsync(CancellationToken cancellationToken = default) =>
        TpmOperation.RunAsync("Incrementing the TPM NV counter", () => _fapi.Exclusive(() =>
        {
            EnsureExists();
            _fapi.NvIncrement(Path);
            ulong value = ReadValue();
            TpmLog.CounterIncremented(_logger, Path, value);
            return value;
        }), cancellationToken);

    private void EnsureExists()
    {
        if (!_fapi.Exists(Path))
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"The TPM NV counter {Path} does not exist in this TPM's keystore; it is created when the appliance is provisioned.");
        }
    }

    private ulong ReadValue()
    {
        byte[] data = _fapi.NvRead(Path);
        if (data.Length != 8)
        {
            throw new CustodyException(CustodyStatus.DeviceFault, $"The TPM NV counter {Path} returned {data.Length} bytes instead of 8.");
        }

        return BinaryPrimitives.ReadUInt64BigEndian(data);
    }
}
