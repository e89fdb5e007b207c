// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KeyCustody.Tpm;

/// <summary>
/// One FAPI context (<c>FAPI_CONTEXT</c>) over one TCTI. Checks every <c>TSS2_RC</c> and throws
/// <see cref="Tss2Exception"/>, frees every buffer FAPI returns with <c>Fapi_Free</c>, and serialises all calls.
/// </summary>
/// <remarks>
/// <para>Why one lock: a FAPI context — and the ESYS context and TCTI inside it — is a single-threaded state
/// machine (tpm2-tss documents no thread safety; two calls in flight corrupt its command/response sequence), so
/// every call takes <see cref="_lock"/>. Calls block the calling thread for milliseconds to seconds; providers run
/// them on the thread pool.</para>
/// <para>Why the context is re-created: after a transport error (swtpm restarted, <c>/dev/tpmrm0</c> reset) a
/// tpm2-tss context never reconnects and answers every later call with "bad sequence", so on such codes we
/// finalize it and the next call initializes a new one.</para>
/// <para>Why handles are flushed: FAPI 3.2 leaves the object it was loading in the TPM when a command fails (for
/// example a sealed object whose PCR policy no longer matches). Behind a resource manager that dies with the
/// connection, but a TPM without one (swtpm, <c>/dev/tpm0</c>) keeps it, and after three such failures every
/// load fails with <c>TPM_RC_OBJECT_MEMORY</c>. After a TPM-layer failure we therefore flush the transient
/// objects and sessions left loaded — between calls FAPI holds none (its storage key is persistent), and
/// KeyCustody is the TPM's only user on the appliance.</para>
/// </remarks>
public sealed partial class FapiContext : IDisposable
{
    // FAPI reads its configuration path from the TSS2_FAPICONF environment variable inside Fapi_Initialize (the
    // uri argument must be NULL in tpm2-tss 3.x), so setting the variable and initializing is one critical section
    // across every context in the process.
    private static readonly Lock s_initializeLock = new();

    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private SafeFapiContextHandle? _context;
    private bool _disposed;

    /// <summary>Creates a context for <paramref name="configuration"/>; the TPM is contacted on the first call.</summary>
    public FapiContext(FapiConfiguration configuration, ILogger<FapiContext>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The configuration this context was made from.</summary>
    public FapiConfiguration Configuration { get; }

    /// <summary>
    /// Provisions the TPM for our profile (storage root key, endorsement key, keystore metadata). Idempotent:
    /// returns false when the keystore was provisioned already (<c>TSS2_FAPI_RC_ALREADY_PROVISIONED</c>).
    /// </summary>
    public bool Provision()
    {
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            uint rc = Interop.Fapi.Fapi_Provision(context, null, null, null);
            if (rc == Tss2ReturnCode.FapiAlreadyProvisioned)
            {
                TpmLog.AlreadyProvisioned(_logger, FapiConfiguration.ProfileName);
                return false;
            }

            Check("Fapi_Provision", rc);
            TpmLog.Provisioned(_logger, FapiConfiguration.ProfileName);
            return true;
        }
    }

    /// <summary><c>Fapi_GetInfo</c>: FAPI's JSON description of the TPM and its configuration.</summary>
    public unsafe string GetInfo()
    {
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint info = 0;
            try
            {
                Check("Fapi_GetInfo", Interop.Fapi.Fapi_GetInfo(context, &info));
                return Utf8(info);
            }
            finally
            {
                Free(info);
            }
        }
    }

    /// <summary><c>Fapi_GetRandom</c>: bytes from the TPM's random number generator.</summary>
    public unsafe byte[] GetRandom(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_lock)
        {
            SafeFapiContextHandle context = Open();
            nint data = 0;
            try
            {
                Check("Fapi_GetRandom", Interop.Fapi.Fapi_GetRandom(context, (nuint)count, &data));
                return new ReadOnlySpan<byte>((void*)data, count).ToArray();
            }
            finally
            {
                FreeClearing(data, (nuint)count);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> while holding this context's lock, so a sequence of calls (check, then
    /// create; increment, then read) is not interleaved with other threads' calls. The lock is re-entrant.
    /// </summary>
    public T Exclusive<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (_lock)
        {
            return work();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _context?.Dispose();
            _context = null;
        }
    }

    /// <summary>Returns the live context, initializing one when needed. Call with <see cref="_lock"/> held.</summary>
    private unsafe SafeFapiContextHandle Open()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_context is { IsInvalid: false, IsClosed: false })
        {
            return _context;
        }

        Configuration.WriteFiles();
        nint raw = 0;
        uint rc;
        lock (s_initializeLock)
        {
            WarnIfNativeLogTooVerbose();
            // glibc grows environ only the first time a name is added; later calls swap one pointer, so after the
            // first context this does not disturb getenv(3) in other threads (SoftHSM, OpenSSL).
            if (Interop.Libc.setenv("TSS2_FAPICONF", Configuration.ConfigurationFile, 1) != 0)
            {
                throw new InvalidOperationException(
                    $"setenv(TSS2_FAPICONF) failed with errno {Marshal.GetLastPInvokeError()}.");
            }

            rc = Interop.Fapi.Fapi_Initialize(&raw, null);
        }

        if (rc != Tss2ReturnCode.Success)
        {
            if (raw != 0)
            {
                Interop.Fapi.Fapi_Finalize(&raw);
            }

            var exception = new Tss2Exception("Fapi_Initialize", rc);
            TpmLog.CallFailed(_logger, exception.Function, exception.Code, exception.Description);
            throw exception;
        }

        _context = new SafeFapiContextHandle(raw);
        TpmLog.ContextOpened(_logger, Configuration.Tcti);
        return _context;
    }

    /// <summary>
    /// Throws <see cref="Tss2Exception"/> for a failed call after putting the context back into a usable state
    /// (see the class remarks). Call with <see cref="_lock"/> held.
    /// </summary>
    private void Check(string function, uint rc)
    {
        if (rc == Tss2ReturnCode.Success)
        {
            return;
        }

        var exception = new Tss2Exception(function, rc);
        TpmLog.CallFailed(_logger, function, exception.Code, exception.Description);
        Recover(rc);
        throw exception;
    }

    private void Recover(uint rc)
    {
        if (Tss2StatusMapper.NeedsNewContext(rc))
        {
            ResetContext(rc);
            return;
        }

        if (!Tss2ReturnCode.IsTpmLayer(rc) || _context is null)
        {
            return;
        }

        try
        {
            int flushed = TpmHandleFlusher.FlushTransientAndSessions(_context);
            if (flushed > 0)
            {
                TpmLog.FlushedLeakedHandles(_logger, flushed);
            }
        }
        catch (Tss2Exception flushFailure)
        {
            TpmLog.FlushFailed(_logger, flushFailure.Message);
            ResetContext(flushFailure.ReturnCode);
        }
    }

    private void ResetContext(uint rc)
    {
        _context?.Dispose();
        _context = null;
        TpmLog.ContextReset(_logger, "0x" + rc.ToString("X8", System.Globalization.CultureInfo.InvariantCulture));
    }

    private void WarnIfNativeLogTooVerbose()
    {
        string? level = Environment.GetEnvironmentVariable("TSS2_LOG");
        if (level is null)
        {
            return;
        }

        foreach (string verbose in new[] { "debug", "trace" })
        {
            if (level.Contains(verbose, StringComparison.OrdinalIgnoreCase))
            {
                TpmLog.NativeLogTooVerbose(_logger, verbose);
                return;
            }
        }
    }

    private static unsafe string Utf8(nint text) =>
        text == 0 ? string.Empty : Marshal.PtrToStringUTF8(text) ?? string.Empty;

    private static unsafe byte[] Bytes(nint data, nuint size) =>
        data == 0 || size == 0 ? [] : new ReadOnlySpan<byte>((void*)data, checked((int)size)).ToArray();

    private static void Free(nint pointer)
    {
        if (pointer != 0)
        {
            Interop.Fapi.Fapi_Free(pointer);
        }
    }

    /// <summary>Zeroes a FAPI buffer that held secret bytes before giving it back.</summary>
    private static unsafe void FreeClearing(nint pointer, nuint size)
    {
        if (pointer == 0)
        {
            return;
        }

        CryptographicOperations.ZeroMemory(new Span<byte>((void*)pointer, checked((int)size)));
        Interop.Fapi.Fapi_Free(pointer);
    }
}
