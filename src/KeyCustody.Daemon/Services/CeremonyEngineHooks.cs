// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Governance;

namespace KeyCustody.Daemon.Services;

// What ceremonies change in the signing engine's served state, after the change is durable in the store.
internal sealed partial class SigningEngine
{
    /// <summary>The HSM (ceremonies generate keys in it).</summary>
    internal ISigningKeyStore Hsm => _hsm;

    /// <summary>Adds or replaces a served key. Copy-on-write so readers without a lock always see a whole dictionary.</summary>
    internal void PublishKey(ServedKey key)
    {
        lock (_fast)
        {
            _keys = new Dictionary<KeyName, ServedKey>(_keys) { [key.Record.Name] = key };
            _usage.TryAdd(key.Record.Name, (key.Record.SignatureCount, key.Record.LastUsedAt));
        }
    }

    /// <summary>Replaces the roster in force.</summary>
    internal void PublishRoster(Roster roster)
    {
        ArgumentNullException.ThrowIfNull(roster);
        _roster = roster;
    }
}
