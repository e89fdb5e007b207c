// SPDX-License-Identifier: Apache-2.0
namespace KeyCustody.Core;

/// <summary>
/// The one exception the domain raises for outcomes a caller must handle. The message is safe to show to the
/// caller: it never contains a PIN, an auth value or key material. Programmer misuse throws ordinary
/// .NET exceptions (<see cref="ArgumentException"/> and friends) instead.
/// </summary>
public class CustodyException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="status"/> and a caller-safe message.</summary>
    public CustodyException(CustodyStatus status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        if (status == CustodyStatus.Ok)
        {
            throw new ArgumentException("An exception cannot carry CustodyStatus.Ok.", nameof(status));
        }

        Status = status;
    }

    /// <summary>What went wrong, from the closed set.</summary>
    public CustodyStatus Status { get; }

    /// <summary>True when retrying the same operation later may succeed (a device came back, space returned).</summary>
    public bool IsTransient => Status is CustodyStatus.HsmUnavailable or CustodyStatus.TpmUnavailable
        or CustodyStatus.AuditUnavailable or CustodyStatus.RateLimited;
}
