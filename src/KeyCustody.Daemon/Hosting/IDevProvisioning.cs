// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core.Ports;
using KeyCustody.Storage;
using KeyCustody.Tpm;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// What the development appliance adds to the start-up sequence. Production has no such hooks: there the sealed
/// PIN and the genesis come from custodian ceremonies, and their absence is a NotProvisioned start failure.
/// </summary>
internal interface IDevProvisioning
{
    /// <summary>After the measurement PCR was extended: makes sure a sealed PIN exists that unseals in the current state.</summary>
    Task EnsureSealedPinAsync(TpmSecretSealer sealer, string name, DaemonMeasurement measurement, CancellationToken cancellationToken);

    /// <summary>After the HSM login, when the store has no genesis: generates the keys and stores roster, keys and policies.</summary>
    Task ApplyGenesisAsync(SqliteAuditLog audit, ISigningKeyStore hsm, TimeProvider time, CancellationToken cancellationToken);
}
