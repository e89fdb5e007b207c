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

    // Retiring keys still sign until the end of their grace period (rotation); after it they sign nothing.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<KeyName, DateTimeOffset> _retiringUntil = new();

    /// <summary>True when <paramref name="key"/> is retiring and its grace period has not ended.</summary>
    internal bool SignsInGrace(ServedKey key) =>
        key.Record.Status == "retiring" && _retiringUntil.TryGetValue(key.Record.Name, out DateTimeOffset until) && _time.GetUtcNow() < until;

    /// <summary>Adds or replaces a served key (a retiring key keeps its grace period unless a new one is given). Copy-on-write so readers without a lock always see a whole dictionary.</summary>
    internal void PublishKey(ServedKey key, DateTimeOffset? retiringUntil = null)
    {
        if (retiringUntil is { } until)
        {
            _retiringUntil[key.Record.Name] = until;
        }
        else if (key.Record.Status != "retiring")
        {
            _retiringUntil.TryRemove(key.Record.Name, out _);
        }

        lock (_fast)
        {
            _keys = new Dictionary<KeyName, ServedKey>(_keys) { [key.Record.Name] = key };
            _usage.TryAdd(key.Record.Name, (key.Record.SignatureCount, key.Record.LastUsedAt));
            // A new key has no submissions yet; its rate-limit history starts empty.
            _history.TryAdd(key.Record.Name, []);
        }
    }

    /// <summary>Replaces the roster in force.</summary>
    internal void PublishRoster(Roster roster)
    {
        ArgumentNullException.ThrowIfNull(roster);
        _roster = roster;
    }
}
