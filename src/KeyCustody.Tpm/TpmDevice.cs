// SPDX-License-Identifier: Apache-2.0
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Tpm;

/// <summary>
/// The composition helper the daemon uses: one FAPI context for the configured TPM, provisioned, with the
/// sealer and PCR access ready and the keys and counter opened on demand.
/// <code>
/// using TpmDevice tpm = await TpmDevice.OpenAsync(options, loggerFactory, ct);
/// await tpm.Pcrs.ExtendMeasurementAsync(buildAndConfigHash, cancellationToken: ct);
/// byte[] pin = await tpm.Sealer.UnsealAsync("hsm-pin", ct);
/// TpmAuditSigner auditKey = await tpm.OpenAuditSignerAsync(ct);
/// TpmNvCounter counter = await tpm.OpenCounterAsync(create: true, ct);
/// </code>
/// </summary>
public sealed class TpmDevice : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private TpmDevice(TpmOptions options, FapiContext fapi, ILoggerFactory loggerFactory)
    {
        Options = options;
        Fapi = fapi;
        _loggerFactory = loggerFactory;
        Sealer = new TpmSecretSealer(fapi, options, loggerFactory.CreateLogger<TpmSecretSealer>());
        Pcrs = new TpmPcrs(fapi, options, loggerFactory.CreateLogger<TpmPcrs>());
    }

    /// <summary>The options the device was opened with.</summary>
    public TpmOptions Options { get; }

    /// <summary>The shared FAPI context (one per process and TPM).</summary>
    public FapiContext Fapi { get; }

    /// <summary>The sealed-secret store (the HSM PIN).</summary>
    public TpmSecretSealer Sealer { get; }

    /// <summary>PCR read and extend.</summary>
    public TpmPcrs Pcrs { get; }

    /// <summary>True when <see cref="OpenAsync"/> provisioned a fresh keystore rather than finding one.</summary>
    public bool ProvisionedNow { get; private set; }

    /// <summary>
    /// Writes the FAPI configuration under <see cref="TpmOptions.StateDirectory"/>, connects to the TPM and
    /// provisions it for our profile when that has not happened yet.
    /// </summary>
    public static async ValueTask<TpmDevice> OpenAsync(TpmOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ILoggerFactory factory = loggerFactory ?? NullLoggerFactory.Instance;
        var fapi = new FapiContext(FapiConfiguration.FromOptions(options), factory.CreateLogger<FapiContext>());
        try
        {
            bool provisioned = await TpmOperation.RunAsync("Opening the TPM", fapi.Provision, cancellationToken).ConfigureAwait(false);
            return new TpmDevice(options, fapi, factory) { ProvisionedNow = provisioned };
        }
        catch
        {
            fapi.Dispose();
            throw;
        }
    }

    /// <summary>Opens (creating on first use) the TPM audit key.</summary>
    public ValueTask<TpmAuditSigner> OpenAuditSignerAsync(CancellationToken cancellationToken = default) =>
        TpmAuditSigner.OpenAsync(Fapi, _loggerFactory.CreateLogger<TpmAuditSigner>(), cancellationToken: cancellationToken);

    /// <summary>Opens the audit log's NV counter; with <paramref name="create"/> it is defined when missing.</summary>
    public async ValueTask<TpmNvCounter> OpenCounterAsync(bool create, CancellationToken cancellationToken = default)
    {
        var counter = new TpmNvCounter(Fapi, TpmNvCounter.DefaultPath, _loggerFactory.CreateLogger<TpmNvCounter>());
        if (create)
        {
            await counter.CreateAsync(cancellationToken).ConfigureAwait(false);
        }

        return counter;
    }

    /// <summary>Opens (creating on first use) the attestation key for quotes.</summary>
    public ValueTask<TpmAttestation> OpenAttestationAsync(CancellationToken cancellationToken = default) =>
        TpmAttestation.OpenAsync(Fapi, Options, _loggerFactory.CreateLogger<TpmAttestation>(), cancellationToken: cancellationToken);

    /// <inheritdoc />
    public void Dispose() => Fapi.Dispose();
}
