// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Storage;

namespace KeyCustody.Daemon.Services;

/// <summary>What the handlers reach once the start-up sequence has built it.</summary>
internal sealed class ServiceContext
{
    private volatile SigningEngine? _engine;
    private volatile SqliteAuditLog? _audit;

    /// <summary>The time source.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>The engine; HsmUnavailable until the start-up sequence finished.</summary>
    public SigningEngine Engine => _engine ?? throw new CustodyException(CustodyStatus.HsmUnavailable, "The appliance has not finished starting.");

    /// <summary>The audit log; AuditUnavailable until it is open.</summary>
    public SqliteAuditLog Audit => _audit ?? throw new CustodyException(CustodyStatus.AuditUnavailable, "The audit log is not open.");

    /// <summary>Publishes the audit log once it is open.</summary>
    public void SetAudit(SqliteAuditLog? audit) => _audit = audit;

    /// <summary>Publishes the engine once the appliance can sign.</summary>
    public void SetEngine(SigningEngine? engine) => _engine = engine;
}
