// SPDX-License-Identifier: Apache-2.0
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using KeyCustody.Audit;
using KeyCustody.Core;
using KeyCustody.Core.Ports;
using KeyCustody.Daemon.Edge;
using KeyCustody.Daemon.Options;
using KeyCustody.Daemon.Services;
using KeyCustody.Gpio;
using KeyCustody.Grpc;
using KeyCustody.Grpc.Health;
using KeyCustody.Pkcs11;
using KeyCustody.Storage;
using KeyCustody.Tpm;
using Microsoft.Extensions.Logging;
using ServingStatus = KeyCustody.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The appliance: gRPC server first (so health answers NOT_SERVING with a reason whatever happens next), then
/// the start-up sequence — TPM, audit log (anti-rollback check against the NV counter), measurement PCR, sealed
/// HSM PIN, HSM login, governance state — and SERVING only when every step passed. Background work: presence
/// button, presence/expiry ticks, and a watchdog that stops signing the moment the PCR policy no longer holds.
/// </summary>
public sealed class Appliance : IAsyncDisposable
{
    /// <summary>The gRPC service names whose health follows the appliance's.</summary>
    public static readonly IReadOnlyList<string> ServiceNames =
        ["", "keycustody.v1.SigningService", "keycustody.v1.ApprovalService", "keycustody.v1.KeyService"];

    private readonly DaemonOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IDevProvisioning? _dev;
    private readonly HealthService _health = new(ServingStatus.NotServing);
    private readonly ServiceContext _services;
    private readonly GovernanceStoreAccessor _store = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _background = [];
    private GrpcServer? _server;
    private TpmDevice? _tpm;
    private TpmAuditSigner? _auditSigner;
    private SqliteAuditLog? _audit;
    private Pkcs11KeyStore? _hsm;
    private SigningEngine? _engine;
    private IPresenceButton? _button;
    private IIndicatorLed? _led;
    private bool _disposed;

    internal Appliance(DaemonOptions options, byte[] configBytes, ILoggerFactory loggerFactory, IDevProvisioning? dev = null, TimeProvider? time = null)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("KeyCustody.Daemon");
        _time = time ?? TimeProvider.System;
        _dev = dev;
        _services = new ServiceContext { Time = _time };
        Measurement = DaemonMeasurement.Compute(configBytes);
        State.Changed += OnStateChanged;
    }

    /// <summary>Creates the production appliance from a loaded configuration.</summary>
    public static Appliance Create(DaemonOptions options, byte[] configBytes, ILoggerFactory loggerFactory) =>
        new(options, configBytes, loggerFactory);

    /// <summary>Serving state and the reason when not serving.</summary>
    public ApplianceState State { get; } = new();

    /// <summary>What this daemon extends into its measurement PCR.</summary>
    public DaemonMeasurement Measurement { get; }

    /// <summary>Where the server listens.</summary>
    public IReadOnlyList<GrpcBoundEndpoint> Endpoints => _server?.BoundEndpoints ?? [];

    /// <summary>The daemon's version (informational).</summary>
    public static string Version =>
        typeof(Appliance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Starts the server and runs the start-up sequence. Returns once the appliance is SERVING or NOT_SERVING.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var registry = new GrpcServiceRegistry();
        _health.AddTo(registry);
        var edge = new GrpcEdge(_logger, State);
        new SigningServiceHandler(_services).Register(registry, edge);
        new ApprovalServiceHandler(_services).Register(registry, edge);
        new KeyServiceHandler(_services).Register(registry, edge);
        new AuditServiceHandler(_services, _store).Register(registry, edge);
        CeremonyServiceHandler.Register(registry);
        _server = new GrpcServer(ServerFactory.Create(_options.Listen, _loggerFactory), registry);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (GrpcBoundEndpoint endpoint in _server.BoundEndpoints)
        {
            DaemonLog.Listening(_logger, endpoint.Address);
        }

        try
        {
            await RunSequenceAsync(cancellationToken).ConfigureAwait(false);
            State.SetServing();
            DaemonLog.Serving(_logger, _engine!.Keys.Count, string.Join(", ", Endpoints.Select(e => e.Address)));
        }
        catch (CustodyException ex)
        {
            await FailStartAsync(ex.Status, ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            DaemonLog.CallFailedUnexpectedly(_logger, ex, "start-up", "start");
            await FailStartAsync(CustodyStatus.Internal, $"unexpected {ex.GetType().Name} during start-up; see the daemon log").ConfigureAwait(false);
        }
    }

    private async Task RunSequenceAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.StateDirectory);

        DaemonLog.StartStep(_logger, $"opening the TPM ({_options.Tpm.Tcti})");
        _tpm = await TpmDevice.OpenAsync(new Tpm.TpmOptions
        {
            Tcti = _options.Tpm.Tcti,
            StateDirectory = _options.Tpm.StateDirectory,
            PolicyPcrs = _options.Tpm.Pcrs,
            MeasurementPcr = _options.Tpm.MeasurementPcr,
        }, _loggerFactory, cancellationToken).ConfigureAwait(false);
        _auditSigner = await _tpm.OpenAuditSignerAsync(cancellationToken).ConfigureAwait(false);
        var tpmCounter = new TpmNvCounter(_tpm.Fapi, TpmNvCounter.DefaultPath, _loggerFactory.CreateLogger<TpmNvCounter>());
        bool counterCreated = await tpmCounter.CreateAsync(cancellationToken).ConfigureAwait(false);
        BaselinedCounter counter = await BaselinedCounter.OpenAsync(tpmCounter, counterCreated, _options.StateDirectory, cancellationToken)
            .ConfigureAwait(false);

        DaemonLog.StartStep(_logger, "opening the audit log and checking it against the TPM counter");
        _audit = await SqliteAuditLog.OpenAsync(new SqliteAuditLogOptions
        {
            DatabasePath = Path.Combine(_options.StateDirectory, "keycustody.db"),
            Origin = _options.Audit.Origin,
            Signer = _auditSigner,
            Counter = counter,
            AdditionalMigrations = GovernanceSchema.Migrations,
            CheckpointInterval = TimeSpan.FromMilliseconds(_options.Audit.CheckpointIntervalMilliseconds),
            TimeProvider = _time,
            Logger = _loggerFactory.CreateLogger<SqliteAuditLog>(),
        }, cancellationToken).ConfigureAwait(false);
        _services.SetAudit(_audit);
        var store = new GovernanceStore(_audit.OpenReadConnection);
        _store.Set(store);
        await AppendAsync(AuditEntry.Create(AuditEventTypes.ApplianceStarted, _time.GetUtcNow())
            .Add("version", Version)
            .Add("measurement", Measurement.DigestHex)
            .AddHex("build_sha256", Measurement.BuildSha256)
            .AddHex("config_sha256", Measurement.ConfigSha256)
            .Add("measurement_pcr", _options.Tpm.MeasurementPcr)
            .Add("audit_counter_baseline", (long)counter.Baseline)
            .Add("pin_source", _options.Pkcs11.PinSource.Kind.ToString())
            .Add("tpm_provisioned_now", _tpm.ProvisionedNow), cancellationToken).ConfigureAwait(false);

        await MeasureAsync(cancellationToken).ConfigureAwait(false);

        Func<CancellationToken, ValueTask<byte[]>> pin = await OpenPinAsync(cancellationToken).ConfigureAwait(false);

        DaemonLog.StartStep(_logger, $"logging in to the HSM ({_options.Pkcs11.Module})");
        foreach ((string name, string value) in _options.Pkcs11.Environment)
        {
            // The module reads its configuration from the environment when it is loaded (e.g. SOFTHSM2_CONF).
            NativeEnvironment.Set(name, value);
        }

        _hsm = new Pkcs11KeyStore(new Pkcs11KeyStoreOptions
        {
            ModulePath = _options.Pkcs11.Module,
            TokenLabel = _options.Pkcs11.TokenLabel,
            TokenSerial = _options.Pkcs11.TokenSerial,
            UserPin = pin,
            PoolSize = Math.Clamp(Environment.ProcessorCount * 2, Pkcs11KeyStoreOptions.DefaultPoolSize, 16),
        }, _loggerFactory.CreateLogger<Pkcs11KeyStore>());
        await _hsm.ConnectAsync(cancellationToken).ConfigureAwait(false);

        if (!await store.HasGenesisAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_dev is null)
            {
                throw new CustodyException(CustodyStatus.NotProvisioned,
                    "The appliance has no genesis (no officers, keys or policies); run the genesis ceremony.");
            }

            DaemonLog.StartStep(_logger, "applying the development genesis");
            await _dev.ApplyGenesisAsync(_audit, _hsm, _time, cancellationToken).ConfigureAwait(false);
        }

        DaemonLog.StartStep(_logger, "loading roster, keys, policies and open requests");
        _engine = await SigningEngine.LoadAsync(_audit, store, _hsm, _time, _loggerFactory.CreateLogger<SigningEngine>(), cancellationToken)
            .ConfigureAwait(false);
        _services.SetEngine(_engine);

        if (_options.LedDevice is { } ledOptions)
        {
            _led = PresenceDeviceFactory.CreateLed(ledOptions, _loggerFactory);
            _engine.LedChanged += state => _ = SetLedAsync(state);
        }

        if (_options.ButtonDevice is { } buttonOptions)
        {
            _button = PresenceDeviceFactory.CreateButton(buttonOptions, _time, _loggerFactory);
            _background.Add(RunLoopAsync("presence button", ReadButtonAsync));
        }

        _background.Add(RunLoopAsync("presence and expiry tick", TickAsync));
        if (_options.Pkcs11.PinSource.Kind == PinSourceKind.TpmSealed && _options.Tpm.PolicyCheckIntervalSeconds > 0)
        {
            _background.Add(RunLoopAsync("TPM policy watchdog", WatchPolicyAsync));
        }
    }

    // Extends the measurement PCR once per boot. A daemon restarted without a reboot finds the PCR already holding
    // exactly its own measurement (reset value, then this build and configuration) and must not extend it again,
    // or the sealed PIN would never unseal after a crash-restart. Any other value (another build or configuration
    // measured since boot, or an unexpected extension) is extended further, so the policy fails as it should.
    private async Task MeasureAsync(CancellationToken cancellationToken)
    {
        int pcr = _options.Tpm.MeasurementPcr;
        byte[] current = (await _tpm!.Pcrs.ReadPcrsAsync([pcr], cancellationToken).ConfigureAwait(false))[pcr];
        if (current.AsSpan().SequenceEqual(TpmPcrs.PredictAfterMeasurements([Measurement.Digest])))
        {
            DaemonLog.StartStep(_logger, $"PCR {pcr} already holds this daemon's measurement {Measurement.DigestHex} (restart since boot)");
            return;
        }

        DaemonLog.StartStep(_logger, $"extending PCR {pcr} with the daemon measurement {Measurement.DigestHex}");
        await _tpm.Pcrs.ExtendMeasurementAsync(Measurement.Digest, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    // The PIN for the HSM login. tpm-sealed: unsealed once now (audited either way); the store gets that copy for
    // its first login and unseals again should it ever need to log in anew, so no PIN stays in memory.
    private async Task<Func<CancellationToken, ValueTask<byte[]>>> OpenPinAsync(CancellationToken cancellationToken)
    {
        PinSource source = _options.Pkcs11.PinSource;
        switch (source.Kind)
        {
            case PinSourceKind.File:
                DaemonLog.StartStep(_logger, "reading the HSM PIN from a file (development only)");
                return Pkcs11PinSources.FromFile(source.Argument);
            case PinSourceKind.Environment:
                DaemonLog.StartStep(_logger, "reading the HSM PIN from the environment (development only)");
                return Pkcs11PinSources.FromEnvironment(source.Argument);
        }

        string name = _options.Tpm.SealedPinName;
        if (_dev is not null)
        {
            await _dev.EnsureSealedPinAsync(_tpm!.Sealer, name, Measurement, cancellationToken).ConfigureAwait(false);
        }

        DaemonLog.StartStep(_logger, $"unsealing the HSM PIN '{name}' from the TPM");
        byte[] first;
        try
        {
            first = await _tpm!.Sealer.UnsealAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (CustodyException ex)
        {
            await TryAppendAsync(AuditEntry.Create(AuditEventTypes.SecretUnsealFailed, _time.GetUtcNow())
                .Add("name", name)
                .Add("status", ex.Status)
                .Add("reason", ex.Message)
                .Add("measurement", Measurement.DigestHex)).ConfigureAwait(false);
            throw;
        }

        await AppendAsync(AuditEntry.Create(AuditEventTypes.SecretUnsealed, _time.GetUtcNow())
            .Add("name", name)
            .Add("pcrs", _tpm.Sealer.Pcrs.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .Add("measurement", Measurement.DigestHex), cancellationToken).ConfigureAwait(false);
        TpmSecretSealer sealer = _tpm.Sealer;
        byte[]? once = first;
        return async ct =>
        {
            byte[]? copy = Interlocked.Exchange(ref once, null);
            if (copy is not null)
            {
                return copy;
            }

            return await sealer.UnsealAsync(name, ct).ConfigureAwait(false);
        };
    }

    private async Task ReadButtonAsync(CancellationToken cancellationToken)
    {
        await foreach (ButtonPress press in _button!.ReadPressesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (State.Health != ApplianceHealth.Serving)
            {
                DaemonLog.PressIgnored(_logger, (long)press.Duration.TotalMilliseconds, "the appliance is not serving");
                continue;
            }

            await _engine!.OnPressAsync(press, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            DateTimeOffset now = _time.GetUtcNow();
            DateTimeOffset? next = _engine!.NextPresenceDeadline;
            TimeSpan wait = next is { } at && at - now < TimeSpan.FromSeconds(1) ? at - now : TimeSpan.FromSeconds(1);
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(10), _time, cancellationToken).ConfigureAwait(false);
            if (State.Health == ApplianceHealth.Serving)
            {
                await _engine.TickAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // A PCR that changes after start (someone extended it, or the boot state was tampered with at run time)
    // means the sealed PIN would no longer unseal: stop signing at once rather than wait for the next restart.
    private async Task WatchPolicyAsync(CancellationToken cancellationToken)
    {
        TimeSpan interval = TimeSpan.FromSeconds(_options.Tpm.PolicyCheckIntervalSeconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, _time, cancellationToken).ConfigureAwait(false);
            if (State.Health != ApplianceHealth.Serving)
            {
                continue;
            }

            IReadOnlyList<int> changed = await _tpm!.Sealer.GetChangedPcrsAsync(_options.Tpm.SealedPinName, cancellationToken).ConfigureAwait(false);
            if (changed.Count > 0)
            {
                string reason = $"PCR {string.Join(", ", changed)} changed since the HSM PIN was sealed; the boot state is no longer the approved one";
                DaemonLog.PolicyCheckFailed(_logger, CustodyStatus.BootStateChanged, reason);
                State.SetNotServing(CustodyStatus.BootStateChanged, reason);
                await TryAppendAsync(AuditEntry.Create("tpm.policy_changed", _time.GetUtcNow())
                    .Add("pcrs", changed.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                    .Add("reason", reason)).ConfigureAwait(false);
                return;
            }
        }
    }

    private Task RunLoopAsync(string name, Func<CancellationToken, Task> loop) => Task.Run(async () =>
    {
        try
        {
            await loop(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            DaemonLog.BackgroundFailed(_logger, ex, name);
            if (name == "presence button" && ex is CustodyException device)
            {
                // Without its button the appliance can still sign low-risk keys; high-risk requests wait.
                DaemonLog.NotServing(_logger, device.Status, $"the presence button failed: {device.Message}");
            }
        }
    });

    private async Task SetLedAsync(LedState state)
    {
        try
        {
            await _led!.SetAsync(state).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            DaemonLog.BackgroundFailed(_logger, ex, "LED");
        }
    }

    private async Task FailStartAsync(CustodyStatus status, string reason)
    {
        // A start-up step's own status can name a caller's mistake (NotFound for a missing sealed PIN, InvalidArgument
        // for a bad stored document); to callers of the refused RPCs the appliance is simply not provisioned.
        if (status is CustodyStatus.NotFound or CustodyStatus.InvalidArgument or CustodyStatus.AlreadyExists
            or CustodyStatus.PermissionDenied or CustodyStatus.Unauthenticated or CustodyStatus.WrongState)
        {
            status = CustodyStatus.NotProvisioned;
        }

        DaemonLog.StartFailed(_logger, status, reason);
        State.SetNotServing(status, reason);
        await TryAppendAsync(AuditEntry.Create("appliance.start_failed", _time.GetUtcNow())
            .Add("status", status)
            .Add("reason", reason)
            .Add("measurement", Measurement.DigestHex)).ConfigureAwait(false);
    }

    private async Task AppendAsync(AuditEntry entry, CancellationToken cancellationToken) =>
        await _audit!.AppendAsync(entry.ToUtf8(), cancellationToken).ConfigureAwait(false);

    private async Task TryAppendAsync(AuditEntry entry)
    {
        if (_audit is null || !_audit.IsWritable)
        {
            return;
        }

        try
        {
            await _audit.AppendAsync(entry.ToUtf8()).ConfigureAwait(false);
        }
        catch (CustodyException ex)
        {
            DaemonLog.AuditFailed(_logger, entry.Type, ex.Status, ex.Message);
        }
    }

    private void OnStateChanged(ApplianceHealth health, string reason)
    {
        ServingStatus status = health == ApplianceHealth.Serving ? ServingStatus.Serving : ServingStatus.NotServing;
        foreach (string service in ServiceNames)
        {
            _health.SetStatus(service, status);
        }

        if (health == ApplianceHealth.NotServing)
        {
            DaemonLog.NotServing(_logger, State.ReasonStatus, reason);
        }
    }

    /// <summary>Stops signing, records the stop, and releases every device.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        DaemonLog.Stopping(_logger);
        State.SetStopping();
        _health.EnterShutdown();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_background).ConfigureAwait(false);
        await TryAppendAsync(AuditEntry.Create(AuditEventTypes.ApplianceStopping, _time.GetUtcNow())
            .Add("measurement", Measurement.DigestHex)).ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        if (_button is not null)
        {
            await _button.DisposeAsync().ConfigureAwait(false);
        }

        if (_led is not null)
        {
            await _led.DisposeAsync().ConfigureAwait(false);
        }

        if (_hsm is not null)
        {
            await _hsm.DisposeAsync().ConfigureAwait(false);
        }

        if (_audit is not null)
        {
            await _audit.DisposeAsync().ConfigureAwait(false);
        }

        _auditSigner?.Dispose();
        _tpm?.Dispose();
        _stopping.Dispose();
    }
}
