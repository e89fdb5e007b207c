// SPDX-License-Identifier: Apache-2.0
using System.Collections.Concurrent;
using System.Security.Cryptography;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>
/// <see cref="ISigningKeyStore"/> on a PKCS#11 token (SoftHSM2 in tests, a YubiHSM 2 on the appliance).
/// Connects lazily on first use (or with <see cref="ConnectAsync"/>), keeps a small pool of logged-in sessions,
/// reopens sessions and logs in again when the token drops them, and reports a vanished token as
/// <see cref="CustodyStatus.HsmUnavailable"/> without waiting for it. Every signature is verified against the
/// public key before it is returned. Safe for concurrent use.
/// </summary>
public sealed partial class Pkcs11KeyStore : ISigningKeyStore, IAsyncDisposable, IDisposable
{
    // One initial try, then up to two more after the pool had to drop dead sessions or reconnect.
    private const int MaxAttempts = 3;

    private readonly Pkcs11KeyStoreOptions _options;
    private readonly ILogger _logger;

    // Bounds concurrent operations to the pool size, so at most PoolSize sessions are ever open.
    private readonly SemaphoreSlim _gate;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly SemaphoreSlim _loginLock = new(1, 1);

    // Serialises generate/unwrap/destroy so two callers cannot both create the same name.
    private readonly SemaphoreSlim _keyChangeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, CachedKey> _keys = new(StringComparer.Ordinal);

    private Pkcs11Module? _module;
    private volatile Connection? _connection;
    private volatile CustodyException? _loginFailure;
    private int _disposed;

    /// <summary>
    /// Creates the store. Nothing is loaded until the first operation or <see cref="ConnectAsync"/>, so a missing
    /// device does not stop the caller from starting; the operation reports it instead.
    /// </summary>
    /// <exception cref="ArgumentException">The options are unusable (see <see cref="Pkcs11KeyStoreOptions.Validate"/>).</exception>
    public Pkcs11KeyStore(Pkcs11KeyStoreOptions options, ILogger<Pkcs11KeyStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _gate = new SemaphoreSlim(options.PoolSize, options.PoolSize);
    }

    /// <summary>
    /// Loads the module, selects the token and logs in now (the daemon's start-up check). Returns the token's
    /// current information.
    /// </summary>
    /// <exception cref="CustodyException">NotProvisioned (module), HsmUnavailable (token absent), PinIncorrect, PinLocked.</exception>
    public ValueTask<Pkcs11TokenInfo> ConnectAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync("Connecting to the HSM", (_, connection) => connection.Slot.GetTokenInfo(), cancellationToken);

    /// <summary>
    /// After a rejected or locked PIN the store stops calling C_Login (each try costs one of the token's PIN
    /// retries) and repeats the error. Call this once the PIN source has been fixed to allow one new attempt.
    /// </summary>
    public void ResetLoginFailure() => _loginFailure = null;

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _connection?.Break();
        _connection = null;
        _keys.Clear();

        // Sessions still in use are closed when their callers return them; the module's native handle stays
        // alive until then (each session holds a reference on it).
        _module?.Dispose();
        _module = null;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"Pkcs11KeyStore({_options.ModulePath}, token {_options.TokenDescription})";

    /// <summary>
    /// Runs <paramref name="action"/> on a pooled, logged-in session. Lost sessions (closed behind our back,
    /// logged out) are dropped and the action retried on a fresh one; a removed device makes the store
    /// reconnect, which fails at once with HsmUnavailable while the token is absent. Other PKCS#11 errors become
    /// a <see cref="CustodyException"/> whose message starts with <paramref name="what"/>.
    /// </summary>
    private async ValueTask<T> ExecuteAsync<T>(string what, Func<Pkcs11Session, Connection, T> action, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                (Connection connection, Pkcs11Session session) = await RentAsync(cancellationToken).ConfigureAwait(false);
                bool healthy = true;
                try
                {
                    return action(session, connection);
                }
                catch (Pkcs11Exception ex) when (IsSessionLost(ex.ReturnValue) || IsDeviceLost(ex.ReturnValue))
                {
                    healthy = false;
                    if (IsDeviceLost(ex.ReturnValue))
                    {
                        Invalidate(connection, $"{ex.Message} during: {what}");
                    }
                    else
                    {
                        // C_CloseAllSessions or a logout hits every session, so drop the idle ones too rather
                        // than discovering them dead one by one.
                        connection.DrainIdle();
                    }

                    if (attempt >= MaxAttempts)
                    {
                        throw Pkcs11StatusMapper.ToCustodyException(ex, $"{what} on token {_options.TokenDescription}");
                    }

                    Pkcs11Log.SessionLost(_logger, ex.ReturnValueName, ex.Function, attempt);
                }
                catch (Pkcs11Exception ex)
                {
                    throw Pkcs11StatusMapper.ToCustodyException(ex, $"{what} on token {_options.TokenDescription}");
                }
                finally
                {
                    connection.Return(session, healthy);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static bool IsSessionLost(ulong rv) => rv is CKR_SESSION_HANDLE_INVALID or CKR_SESSION_CLOSED or CKR_USER_NOT_LOGGED_IN;

    private static bool IsDeviceLost(ulong rv) => rv is CKR_DEVICE_REMOVED or CKR_TOKEN_NOT_PRESENT or CKR_DEVICE_ERROR
        or CKR_TOKEN_NOT_RECOGNIZED or CKR_SLOT_ID_INVALID;

    /// <summary>An idle session of the current connection, or a newly opened and logged-in one.</summary>
    private async ValueTask<(Connection, Pkcs11Session)> RentAsync(CancellationToken cancellationToken)
    {
        Connection connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (connection.TryTakeIdle(out Pkcs11Session? idle))
        {
            return (connection, idle);
        }

        Pkcs11Session session;
        try
        {
            session = connection.Slot.OpenSession(readWrite: true);
        }
        catch (Pkcs11Exception ex) when (IsDeviceLost(ex.ReturnValue) || ex.ReturnValue == CKR_CRYPTOKI_NOT_INITIALIZED)
        {
            Invalidate(connection, ex.Message);
            throw new CustodyException(CustodyStatus.HsmUnavailable,
                $"The HSM token {_options.TokenDescription} is not available ({ex.Message}); retry when it is connected.", ex);
        }
        catch (Pkcs11Exception ex)
        {
            throw Pkcs11StatusMapper.ToCustodyException(ex, $"Opening a session on token {_options.TokenDescription}");
        }

        try
        {
            await EnsureLoggedInAsync(connection, session, cancellationToken).ConfigureAwait(false);
            return (connection, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Logs the user in when <paramref name="session"/> is not (login state is shared by all sessions of the
    /// process, so this happens on the first session and after the token dropped the login).
    /// </summary>
    private async ValueTask EnsureLoggedInAsync(Connection connection, Pkcs11Session session, CancellationToken cancellationToken)
    {
        if (CheckLoggedIn(connection, session))
        {
            return;
        }

        await _loginLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (CheckLoggedIn(connection, session))
            {
                return;
            }

            if (_loginFailure is { } failure)
            {
                throw new CustodyException(failure.Status,
                    failure.Message + " C_Login is not tried again until ResetLoginFailure() (to spare the token's PIN retry counter).", failure);
            }

            byte[] pin = await _options.UserPin(cancellationToken).ConfigureAwait(false);
            try
            {
                session.Login(CKU_USER, pin);
                Pkcs11Log.LoggedIn(_logger, connection.Token.Label);
            }
            catch (Pkcs11Exception ex) when (ex.ReturnValue is CKR_PIN_INCORRECT or CKR_PIN_INVALID or CKR_PIN_LEN_RANGE or CKR_PIN_LOCKED or CKR_PIN_EXPIRED)
            {
                throw LoginFailed(connection, ex);
            }
            catch (Pkcs11Exception ex) when (IsDeviceLost(ex.ReturnValue) || IsSessionLost(ex.ReturnValue))
            {
                Invalidate(connection, ex.Message);
                throw new CustodyException(CustodyStatus.HsmUnavailable,
                    $"Logging in to token {_options.TokenDescription} failed: {ex.Message}; retry when the HSM is connected.", ex);
            }
            catch (Pkcs11Exception ex)
            {
                throw Pkcs11StatusMapper.ToCustodyException(ex, $"Logging in to token {_options.TokenDescription}");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pin);
            }
        }
        finally
        {
            _loginLock.Release();
        }
    }

    private bool CheckLoggedIn(Connection connection, Pkcs11Session session)
    {
        try
        {
            return session.GetSessionInfo().UserLoggedIn;
        }
        catch (Pkcs11Exception ex) when (IsDeviceLost(ex.ReturnValue) || IsSessionLost(ex.ReturnValue))
        {
            Invalidate(connection, ex.Message);
            throw new CustodyException(CustodyStatus.HsmUnavailable,
                $"The HSM token {_options.TokenDescription} is not available ({ex.Message}); retry when it is connected.", ex);
        }
    }

    /// <summary>
    /// A rejected or locked PIN: report the token's PIN flags (how close it is to locking), and latch the
    /// failure so no further C_Login burns another retry.
    /// </summary>
    private CustodyException LoginFailed(Connection connection, Pkcs11Exception ex)
    {
        string flags;
        try
        {
            flags = connection.Slot.GetTokenInfo().DescribeUserPinFlags();
        }
        catch (Pkcs11Exception)
        {
            flags = "unavailable";
        }

        Pkcs11Log.LoginFailed(_logger, connection.Token.Label, ex.ReturnValueName, flags);
        CustodyStatus status = Pkcs11StatusMapper.ToStatus(ex.ReturnValue);
        string advice = status == CustodyStatus.PinLocked
            ? "The user PIN is locked; the security officer must unblock it (C_InitPIN) before KeyCustody can use the HSM."
            : "Check the PIN KeyCustody is given (the sealed PIN or the configured PIN source).";
        var failure = new CustodyException(status,
            $"The HSM rejected the user PIN for token {_options.TokenDescription}: C_Login returned {ex.ReturnValueName}; token PIN flags: {flags}. {advice}", ex);
        _loginFailure = failure;
        return failure;
    }

    /// <summary>The current connection, or a new one: loads the module once and selects the token by label or serial.</summary>
    private async ValueTask<Connection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        Connection? current = _connection;
        if (current is { IsBroken: false })
        {
            return current;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _connection;
            if (current is { IsBroken: false })
            {
                return current;
            }

            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            _connection = Connect(LoadModule());
            return _connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private Pkcs11Module LoadModule()
    {
        if (_module is { } loaded)
        {
            return loaded;
        }

        try
        {
            var module = Pkcs11Module.Load(_options.ModulePath);
            try
            {
                Pkcs11ModuleInfo info = module.GetInfo();
                Pkcs11Log.ModuleLoaded(_logger, module.Path, info.LibraryDescription, info.LibraryVersion, info.CryptokiVersion);
            }
            catch (Pkcs11Exception)
            {
                // C_GetInfo is informational only.
            }

            _module = module;
            return module;
        }
        catch (Pkcs11ModuleLoadException ex)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned, ex.Message + " Check the configured PKCS#11 module path.", ex);
        }
        catch (Pkcs11Exception ex)
        {
            throw new CustodyException(CustodyStatus.NotProvisioned,
                $"The PKCS#11 module '{_options.ModulePath}' failed to start: {ex.Message}. Check the module's own configuration (for SoftHSM2: SOFTHSM2_CONF; for YubiHSM: yubihsm_pkcs11.conf's connector URL).", ex);
        }
    }

    private Connection Connect(Pkcs11Module module)
    {
        var seen = new List<string>();
        var unreadable = new List<string>();
        Pkcs11Slot? match = null;
        Pkcs11TokenInfo? matchInfo = null;
        try
        {
            foreach (Pkcs11Slot slot in module.GetSlots(tokenPresent: true))
            {
                Pkcs11TokenInfo info;
                try
                {
                    info = slot.GetTokenInfo();
                }
                catch (Pkcs11Exception ex)
                {
                    // One broken slot (token removed meanwhile, its files deleted) must not hide the others.
                    unreadable.Add($"slot {slot.SlotId} ({ex.Message})");
                    continue;
                }

                if (!info.Initialized)
                {
                    continue;
                }

                seen.Add($"'{info.Label}' (serial {info.SerialNumber})");
                bool matches = _options.TokenLabel is { Length: > 0 } label
                    ? string.Equals(info.Label, label.TrimEnd(' '), StringComparison.Ordinal)
                    : string.Equals(info.SerialNumber, _options.TokenSerial!.TrimEnd(' '), StringComparison.Ordinal);
                if (!matches)
                {
                    continue;
                }

                if (match is not null)
                {
                    throw new CustodyException(CustodyStatus.NotProvisioned,
                        $"Two tokens match {_options.TokenDescription} (serials {matchInfo!.SerialNumber} and {info.SerialNumber}); select the token by serial instead.");
                }

                match = slot;
                matchInfo = info;
            }
        }
        catch (Pkcs11Exception ex)
        {
            Pkcs11Log.TokenUnavailable(_logger, _options.TokenDescription, ex.Message);
            throw new CustodyException(CustodyStatus.HsmUnavailable,
                $"Listing the slots of PKCS#11 module '{module.Path}' failed: {ex.Message}; retry when the HSM is connected.", ex);
        }

        if (match is null)
        {
            string present = (seen.Count == 0 ? "no initialised token is present" : "present: " + string.Join(", ", seen.Take(8)) + (seen.Count > 8 ? ", …" : string.Empty))
                + (unreadable.Count == 0 ? string.Empty : "; unreadable: " + string.Join(", ", unreadable.Take(4)) + (unreadable.Count > 4 ? ", …" : string.Empty));
            Pkcs11Log.TokenUnavailable(_logger, _options.TokenDescription, present);
            throw new CustodyException(CustodyStatus.HsmUnavailable,
                $"No token with {_options.TokenDescription} is present in PKCS#11 module '{module.Path}' ({present}). Check that the HSM is connected and the configured token label or serial is right.");
        }

        if (matchInfo!.UserPinLocked)
        {
            // Do not even try C_Login: the token says it would refuse, and some count that as another failure.
            throw new CustodyException(CustodyStatus.PinLocked,
                $"The user PIN of token {_options.TokenDescription} is locked (the token reports CKF_USER_PIN_LOCKED); the security officer must unblock it (C_InitPIN) before KeyCustody can use the HSM.");
        }

        Pkcs11Log.TokenSelected(_logger, matchInfo.Label, matchInfo.SerialNumber, matchInfo.Model, match.SlotId);
        return new Connection(match, matchInfo);
    }

    /// <summary>Marks <paramref name="connection"/> dead: its sessions are closed and cached key handles forgotten.</summary>
    private void Invalidate(Connection connection, string reason)
    {
        if (connection.Break())
        {
            Pkcs11Log.TokenUnavailable(_logger, _options.TokenDescription, reason);
            foreach (KeyValuePair<string, CachedKey> entry in _keys)
            {
                if (ReferenceEquals(entry.Value.Connection, connection))
                {
                    _keys.TryRemove(entry);
                }
            }
        }
    }

    /// <summary>
    /// The selected token and its idle sessions. PKCS#11 sessions are not thread-safe, so a session is either in
    /// the idle bag or owned by exactly one running operation.
    /// </summary>
    private sealed class Connection(Pkcs11Slot slot, Pkcs11TokenInfo token)
    {
        private readonly ConcurrentBag<Pkcs11Session> _idle = [];
        private int _broken;

        public Pkcs11Slot Slot { get; } = slot;

        public Pkcs11TokenInfo Token { get; } = token;

        public bool IsBroken => Volatile.Read(ref _broken) != 0;

        public bool TryTakeIdle([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Pkcs11Session? session)
        {
            while (_idle.TryTake(out session))
            {
                if (!session.IsClosed)
                {
                    return true;
                }
            }

            return false;
        }

        public void Return(Pkcs11Session session, bool healthy)
        {
            if (!healthy || IsBroken)
            {
                session.Dispose();
                return;
            }

            _idle.Add(session);
            if (IsBroken)
            {
                DrainIdle();
            }
        }

        public void DrainIdle()
        {
            while (_idle.TryTake(out Pkcs11Session? session))
            {
                session.Dispose();
            }
        }

        /// <summary>Returns true for the caller that broke it.</summary>
        public bool Break()
        {
            bool first = Interlocked.Exchange(ref _broken, 1) == 0;
            DrainIdle();
            return first;
        }
    }
}
