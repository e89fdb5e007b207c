// SPDX-License-Identifier: Apache-2.0
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Tpm;

/// <summary>
/// <see cref="ISecretSealer"/> on the TPM: each secret is a FAPI sealed object under the storage root key
/// (<c>/HS/SRK/keycustody-seal-NAME</c>), readable only through a policy over the SHA-256 PCRs of
/// <see cref="TpmOptions.SealPcrs"/> as they were when it was sealed. No auth value, no DA exposure ("noDa"): the
/// policy is the only way in, and a changed PCR is a <see cref="CustodyStatus.BootStateChanged"/> with no fallback.
/// </summary>
public sealed class TpmSecretSealer : ISecretSealer
{
    private const string ObjectPrefix = "/HS/SRK/keycustody-seal-";
    private const string StagingSuffix = "-staged";
    private const string PolicyPrefix = "/policy/keycustody-seal-";

    private readonly FapiContext _fapi;
    private readonly ILogger _logger;

    /// <summary>Creates the sealer over <paramref name="fapi"/>, binding to <paramref name="options"/>' PCRs.</summary>
    public TpmSecretSealer(FapiContext fapi, TpmOptions options, ILogger<TpmSecretSealer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(fapi);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _fapi = fapi;
        Pcrs = options.SealPcrs;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The SHA-256 PCRs new seals are bound to.</summary>
    public IReadOnlyList<int> Pcrs { get; }

    /// <summary>
    /// Seals <paramref name="secret"/> at <paramref name="name"/> to the current values of <see cref="Pcrs"/>,
    /// replacing an earlier one. This is also the re-seal primitive: call it (with the secret from a custodian
    /// ceremony, or from <see cref="ResealAsync"/>) after an intended change of the boot state.
    /// </summary>
    /// <remarks>
    /// The new object is created in a staging slot before the old one is deleted, so a crash in between leaves a
    /// readable secret (<see cref="UnsealAsync"/> falls back to the staging slot only when the main one is absent).
    /// </remarks>
    public ValueTask SealAsync(string name, ReadOnlyMemory<byte> secret, CancellationToken cancellationToken = default)
    {
        TpmOperation.ValidateName(name, "sealed secret");
        if (secret.IsEmpty)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "The secret to seal is empty.");
        }

        if (secret.Length > 128)
        {
            // TPM2B_SENSITIVE_DATA holds at most MAX_SYM_DATA (128) bytes.
            throw new CustodyException(CustodyStatus.InvalidArgument, $"A sealed secret holds at most 128 bytes, not {secret.Length}.");
        }

        return TpmOperation.RunAsync($"Sealing '{name}'", () =>
        {
            string policy = FapiPcrPolicy.ForCurrentValues(Pcrs, $"KeyCustody: {name} bound to SHA-256 PCRs {PcrList(Pcrs)}");
            _fapi.Exclusive(() => SealWithPolicy(name, secret.Span, policy));
            TpmLog.SecretSealed(_logger, name, PcrList(Pcrs));
        }, cancellationToken);
    }

    /// <summary>
    /// Seals <paramref name="secret"/> to given SHA-256 PCR values rather than the current ones — for example the
    /// values a planned update of the daemon will produce in <see cref="TpmOptions.MeasurementPcr"/>.
    /// </summary>
    public ValueTask SealToValuesAsync(
        string name, ReadOnlyMemory<byte> secret, IReadOnlyDictionary<int, byte[]> pcrValues, CancellationToken cancellationToken = default)
    {
        TpmOperation.ValidateName(name, "sealed secret");
        ArgumentNullException.ThrowIfNull(pcrValues);
        if (secret.IsEmpty || secret.Length > 128)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, "A sealed secret holds 1 to 128 bytes.");
        }

        string policy;
        try
        {
            policy = FapiPcrPolicy.ForValues(pcrValues, $"KeyCustody: {name} bound to given SHA-256 PCR values");
        }
        catch (ArgumentException e)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, e.Message);
        }

        return TpmOperation.RunAsync($"Sealing '{name}'", () =>
        {
            _fapi.Exclusive(() => SealWithPolicy(name, secret.Span, policy));
            TpmLog.SecretSealed(_logger, name, PcrList(pcrValues.Keys.Order().ToArray()));
        }, cancellationToken);
    }

    /// <summary>
    /// Unseals the secret at <paramref name="name"/>. Throws <see cref="CustodyStatus.BootStateChanged"/> when a
    /// bound PCR differs from its sealed value (the message names the PCRs), <see cref="CustodyStatus.NotFound"/>
    /// when nothing is sealed there, and <see cref="CustodyStatus.NotProvisioned"/> when the object belongs to
    /// another TPM. The caller owns the returned array and should zero it after use.
    /// </summary>
    public ValueTask<byte[]> UnsealAsync(string name, CancellationToken cancellationToken = default)
    {
        TpmOperation.ValidateName(name, "sealed secret");
        return TpmOperation.RunAsync($"Unsealing '{name}'", () => _fapi.Exclusive(() =>
        {
            string path = ObjectPrefix + name;
            if (!_fapi.Exists(path))
            {
                string staged = path + StagingSuffix;
                if (!_fapi.Exists(staged))
                {
                    throw new CustodyException(CustodyStatus.NotFound, $"No secret named '{name}' is sealed in this TPM's keystore.");
                }

                TpmLog.UsingStagedSecret(_logger, name);
                path = staged;
            }

            // Fail early with the PCRs that changed; the TPM still enforces the policy below either way.
            IReadOnlyList<int> changed = ChangedPcrs(path);
            if (changed.Count > 0)
            {
                TpmLog.BootStateChanged(_logger, name, PcrList(changed));
                throw BootStateChanged(name, changed, inner: null);
            }

            try
            {
                byte[] secret = _fapi.Unseal(path);
                TpmLog.SecretUnsealed(_logger, name);
                return secret;
            }
            catch (Tss2Exception e) when (Tss2StatusMapper.IsPolicyCheckFailure(e.ReturnCode))
            {
                IReadOnlyList<int> now = ChangedPcrs(path);
                TpmLog.BootStateChanged(_logger, name, now.Count > 0 ? PcrList(now) : "(changed during the unseal)");
                throw BootStateChanged(name, now, e);
            }
            catch (Tss2Exception e) when (Tss2ReturnCode.IsTpmLayer(e.ReturnCode)
                && Tss2ReturnCode.NormalizeTpm(e.ReturnCode) == Tss2ReturnCode.TpmRcIntegrity)
            {
                throw new CustodyException(CustodyStatus.NotProvisioned,
                    $"Cannot unseal '{name}': the sealed object was not made by this TPM (or its storage root key changed) ({e.Code}). Seal the secret again on this device.",
                    e);
            }
        }), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> ExistsAsync(string name, CancellationToken cancellationToken = default)
    {
        TpmOperation.ValidateName(name, "sealed secret");
        return TpmOperation.RunAsync($"Looking up '{name}'",
            () => _fapi.Exists(ObjectPrefix + name) || _fapi.Exists(ObjectPrefix + name + StagingSuffix), cancellationToken);
    }

    /// <summary>
    /// Unseals the secret and seals it again to the current values of <see cref="Pcrs"/>: use after the PCR set in
    /// the options changed while the bound PCRs kept their values. Fails like <see cref="UnsealAsync"/> when the
    /// boot state changed — re-sealing never bypasses the policy.
    /// </summary>
    public async ValueTask ResealAsync(string name, CancellationToken cancellationToken = default)
    {
        byte[] secret = await UnsealAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            await SealAsync(name, secret, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Deletes the sealed secret at <paramref name="name"/> (and any staging copy). NotFound when absent.</summary>
    public ValueTask DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        TpmOperation.ValidateName(name, "sealed secret");
        return TpmOperation.RunAsync($"Deleting '{name}'", () =>
        {
            bool any = DeleteIfExists(ObjectPrefix + name) | DeleteIfExists(ObjectPrefix + name + StagingSuffix);
            if (!any)
            {
                throw new CustodyException(CustodyStatus.NotFound, $"No secret named '{name}' is sealed in this TPM's keystore.");
            }

            TpmLog.SecretDeleted(_logger, name);
        }, cancellationToken);
    }

    /// <summary>The SHA-256 PCRs whose current value differs from what the secret at <paramref name="name"/> was sealed to.</summary>
    public ValueTask<IReadOnlyList<int>> GetChangedPcrsAsync(string name, CancellationToken cancellationToken = default)
    {
        TpmOperation.ValidateName(name, "sealed secret");
        return TpmOperation.RunAsync($"Checking '{name}'", () =>
        {
            string path = ObjectPrefix + name;
            if (!_fapi.Exists(path))
            {
                throw new CustodyException(CustodyStatus.NotFound, $"No secret named '{name}' is sealed in this TPM's keystore.");
            }

            return (IReadOnlyList<int>)ChangedPcrs(path);
        }, cancellationToken);
    }

    private bool SealWithPolicy(string name, ReadOnlySpan<byte> secret, string policyJson)
    {
        string path = ObjectPrefix + name;
        string staged = path + StagingSuffix;
        string policyPath = PolicyPrefix + name;

        DeleteIfExists(policyPath);
        _fapi.Import(policyPath, policyJson);
        try
        {
            // Stage first, so there is always one readable object even if we stop half-way.
            DeleteIfExists(staged);
            _fapi.CreateSeal(staged, secret, policyPath);
            DeleteIfExists(path);
            _fapi.CreateSeal(path, secret, policyPath);
            DeleteIfExists(staged);
        }
        finally
        {
            // The policy is copied into each sealed object; the template is not needed afterwards.
            DeleteIfExists(policyPath);
        }

        return true;
    }

    private bool DeleteIfExists(string path)
    {
        if (!_fapi.Exists(path))
        {
            return false;
        }

        _fapi.Delete(path);
        return true;
    }

    private List<int> ChangedPcrs(string path)
    {
        if (!FapiPcrPolicy.TryReadPcrValues(_fapi.ExportPolicy(path), out IReadOnlyDictionary<int, byte[]> sealedValues))
        {
            return [];
        }

        var changed = new List<int>();
        foreach ((int pcr, byte[] expected) in sealedValues)
        {
            if (!_fapi.PcrRead(pcr).Value.AsSpan().SequenceEqual(expected))
            {
                changed.Add(pcr);
            }
        }

        return changed;
    }

    private static CustodyException BootStateChanged(string name, IReadOnlyList<int> changed, Exception? inner) =>
        new(CustodyStatus.BootStateChanged,
            changed.Count > 0
                ? $"Cannot unseal '{name}': the boot state changed since it was sealed (SHA-256 PCR {PcrList(changed)} differs). " +
                  "If the change was intended, a custodian must seal the secret again."
                : $"Cannot unseal '{name}': the boot state changed since it was sealed (the TPM rejected the PCR policy). " +
                  "If the change was intended, a custodian must seal the secret again.",
            inner);

    private static string PcrList(IEnumerable<int> pcrs) => string.Join(",", pcrs);
}
