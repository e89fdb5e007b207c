// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Testing;
using Microsoft.Extensions.Logging;

namespace KeyCustody.Pkcs11.Tests;

/// <summary>A SoftHSM2 token, a key store on it, captured logs and a temp directory for one test class.</summary>
public sealed class KeyStoreFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<KeyAlgorithm, Lazy<Task<KeyInfo>>> _keys = new();
    private readonly List<Pkcs11KeyStore> _stores = [];

    public SoftHsmFixture Hsm { get; } = new();

    public TempDirectory Temp { get; } = new("keycustody-pkcs11");

    public CapturingLogger<Pkcs11KeyStore> Logs { get; } = new();

    public Pkcs11KeyStore Store { get; private set; } = null!;

    /// <summary>A new store on this class's token (disposed with the fixture).</summary>
    public Pkcs11KeyStore CreateStore(string? pin = null, int poolSize = 4, string? modulePath = null, string? tokenLabel = null, string? tokenSerial = null)
    {
        var store = new Pkcs11KeyStore(Options(pin, poolSize, modulePath, tokenLabel, tokenSerial), Logs);
        lock (_stores)
        {
            _stores.Add(store);
        }

        return store;
    }

    public Pkcs11KeyStoreOptions Options(string? pin = null, int poolSize = 4, string? modulePath = null, string? tokenLabel = null, string? tokenSerial = null) => new()
    {
        ModulePath = modulePath ?? Hsm.ModulePath,
        TokenLabel = tokenSerial is null ? tokenLabel ?? Hsm.TokenLabel : null,
        TokenSerial = tokenSerial,
        UserPin = Pkcs11PinSources.FromValue(pin ?? Hsm.UserPin),
        PoolSize = poolSize,
    };

    /// <summary>One generated key per algorithm, shared by the tests of the class.</summary>
    public Task<KeyInfo> KeyAsync(KeyAlgorithm algorithm) =>
        _keys.GetOrAdd(algorithm, a => new Lazy<Task<KeyInfo>>(() =>
            Store.GenerateKeyAsync(new KeySpec(KeyName.Parse("shared-" + Algorithms.Name(a)), a)).AsTask())).Value;

    public Task InitializeAsync()
    {
        Store = CreateStore();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        lock (_stores)
        {
            _stores.ForEach(s => s.Dispose());
        }

        Hsm.Dispose();
        Temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Records every log line (message and structured values) so tests can search them for secrets.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var line = new System.Text.StringBuilder($"{logLevel} {eventId.Id} {formatter(state, exception)}");
        if (state is IEnumerable<KeyValuePair<string, object?>> values)
        {
            foreach ((string key, object? value) in values)
            {
                line.Append($" | {key}={value}");
            }
        }

        if (exception is not null)
        {
            line.Append(" | ").Append(exception);
        }

        _lines.Enqueue(line.ToString());
    }
}

/// <summary>Helpers shared by the test classes.</summary>
public static class TestData
{
    public static byte[] Digest(DigestAlgorithm algorithm, byte[] data) => algorithm switch
    {
        DigestAlgorithm.Sha256 => System.Security.Cryptography.SHA256.HashData(data),
        DigestAlgorithm.Sha384 => System.Security.Cryptography.SHA384.HashData(data),
        _ => System.Security.Cryptography.SHA512.HashData(data),
    };

    /// <summary>Every message and ToString of an exception chain.</summary>
    public static string Everything(Exception exception)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message).AppendLine(e.ToString());
        }

        return text.ToString();
    }
}

/// <summary>
/// A raw session on a fixture's token through the binding itself, for looking behind the store's back
/// (attribute checks, closing sessions). Logs in as user unless the process already is.
/// </summary>
public sealed class RawToken : IDisposable
{
    public RawToken(SoftHsmFixture hsm, bool login = true)
    {
        Module = Pkcs11Module.Load(hsm.ModulePath);
        Slot = Module.GetSlots().Single(s => LabelOf(s) == hsm.TokenLabel);
        Session = Slot.OpenSession();
        if (login && !Session.GetSessionInfo().UserLoggedIn)
        {
            Session.Login(KeyCustody.Pkcs11.Interop.Pkcs11Constants.CKU_USER, System.Text.Encoding.UTF8.GetBytes(hsm.UserPin));
        }
    }

    public Pkcs11Module Module { get; }

    public Pkcs11Slot Slot { get; }

    public Pkcs11Session Session { get; }

    public ulong FindOne(ulong objectClass, string label)
    {
        IReadOnlyList<ulong> found = Session.FindObjects(
        [
            Pkcs11Attribute.ULong(KeyCustody.Pkcs11.Interop.Pkcs11Constants.CKA_CLASS, objectClass),
            Pkcs11Attribute.Text(KeyCustody.Pkcs11.Interop.Pkcs11Constants.CKA_LABEL, label),
        ]);
        return Assert.Single(found);
    }

    public void Dispose()
    {
        Session.Dispose();
        Module.Dispose();
    }

    /// <summary>The token label, or null for a slot whose token is gone (other classes delete theirs).</summary>
    private static string? LabelOf(Pkcs11Slot slot)
    {
        try
        {
            return slot.GetTokenInfo().Label;
        }
        catch (Pkcs11Exception)
        {
            return null;
        }
    }
}
