// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Tpm;

/// <summary>
/// How KeyCustody reaches and uses the TPM. Bound from the device configuration
/// (<c>keycustody.json</c>, section "Tpm").
/// </summary>
public sealed record TpmOptions
{
    /// <summary>The TCTI of a real appliance: the kernel's resource-managed TPM device.</summary>
    public const string DeviceTcti = "device:/dev/tpmrm0";

    /// <summary>
    /// The default measurement PCR: 23, the PCR the TCG PC Client profile and the Linux TPM PCR registry leave to
    /// applications. Nothing in the boot chain extends it, so after every boot it is all zeros and our daemon's
    /// measurement is its only event: its value is predictable from the build and configuration alone, which a
    /// PCR shared with the OS (8–15: GRUB, IMA, systemd-stub, systemd-pcrphase) is not. The price is that 23 is
    /// resettable from locality 0, so root on the box can reset and replay it; root is not what the sealed PIN
    /// defends against on its own (the firmware PCRs 0–7 are), and an image with a free non-resettable OS PCR can
    /// set <see cref="MeasurementPcr"/> to it.
    /// </summary>
    public const int DefaultMeasurementPcr = 23;

    /// <summary>The TCTI configuration string, e.g. "device:/dev/tpmrm0" or "swtpm:host=127.0.0.1,port=2321".</summary>
    public string Tcti { get; init; } = DeviceTcti;

    /// <summary>
    /// Where the FAPI configuration, profile, keystores and event log live. Sealed blobs are useless without the
    /// TPM that made them, but the directory must survive reboots and be private to the daemon's user.
    /// </summary>
    public required string StateDirectory { get; init; }

    /// <summary>
    /// The SHA-256 PCRs the sealed PIN is bound to besides <see cref="MeasurementPcr"/>: by default firmware code
    /// (0), option ROM / external code (2), boot loader code (4) and Secure Boot policy (7).
    /// </summary>
    public IReadOnlyList<int> PolicyPcrs { get; init; } = [0, 2, 4, 7];

    /// <summary>The PCR the daemon extends with the hash of its own build and configuration at start.</summary>
    public int MeasurementPcr { get; init; } = DefaultMeasurementPcr;

    /// <summary>
    /// When true (the default) FAPI does not insist on an endorsement-key certificate at provisioning time, which
    /// swtpm and many embedded TPMs do not carry.
    /// </summary>
    public bool EkCertificateLess { get; init; } = true;

    /// <summary>The PCRs sealed objects and quotes cover: <see cref="PolicyPcrs"/> plus <see cref="MeasurementPcr"/>, ascending.</summary>
    public IReadOnlyList<int> SealPcrs =>
        PolicyPcrs.Append(MeasurementPcr).Distinct().Order().ToArray();

    /// <summary>Throws <see cref="ArgumentException"/> when a value cannot work.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Tcti))
        {
            throw new ArgumentException("TpmOptions.Tcti must name a TCTI, e.g. \"device:/dev/tpmrm0\".", nameof(Tcti));
        }

        if (string.IsNullOrWhiteSpace(StateDirectory))
        {
            throw new ArgumentException("TpmOptions.StateDirectory must be set.", nameof(StateDirectory));
        }

        foreach (int pcr in PolicyPcrs.Append(MeasurementPcr))
        {
            if (pcr is < 0 or > 23)
            {
                throw new ArgumentException($"PCR index {pcr} is outside 0-23.", nameof(PolicyPcrs));
            }
        }
    }
}
