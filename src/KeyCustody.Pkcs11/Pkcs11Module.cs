// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Pkcs11.Interop;
using KeyCustody.Pkcs11.SafeHandles;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>
/// A loaded PKCS#11 module. A module can be initialised only once per process (C_Initialize is process-wide
/// and most modules read their configuration then), so every <see cref="Load"/> of the same path shares one
/// native handle: the first load initialises it, the last <see cref="Dispose"/> lets it finalise and unload
/// once every session opened on it is closed.
/// </summary>
public sealed unsafe class Pkcs11Module : IDisposable
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, SharedModule> s_modules = new(StringComparer.Ordinal);

    private readonly SharedModule _shared;
    private int _disposed;

    private Pkcs11Module(string path, SharedModule shared)
    {
        Path = path;
        _shared = shared;
    }

    /// <summary>The module's full path.</summary>
    public string Path { get; }

    /// <summary>The native handle (sessions add a reference to it).</summary>
    internal SafePkcs11ModuleHandle Handle => _shared.Handle;

    /// <summary>
    /// Loads (or shares the already loaded) module at <paramref name="path"/> and initialises it with
    /// CKF_OS_LOCKING_OK.
    /// </summary>
    /// <exception cref="Pkcs11ModuleLoadException">Missing file, wrong architecture (the dlopen text is kept) or not a PKCS#11 module.</exception>
    /// <exception cref="Pkcs11Exception">C_GetFunctionList or C_Initialize failed.</exception>
    public static Pkcs11Module Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = System.IO.Path.GetFullPath(path);
        lock (s_lock)
        {
            if (!s_modules.TryGetValue(fullPath, out SharedModule? shared))
            {
                shared = new SharedModule(Pkcs11Library.Load(fullPath));
                s_modules.Add(fullPath, shared);
            }

            shared.Leases++;
            return new Pkcs11Module(fullPath, shared);
        }
    }

    /// <summary>C_GetInfo.</summary>
    public Pkcs11ModuleInfo GetInfo()
    {
        CK_INFO info;
        using (Enter())
        {
            Check("C_GetInfo", Functions->C_GetInfo(&info));
        }

        return new Pkcs11ModuleInfo(
            $"{info.cryptokiVersion.major}.{info.cryptokiVersion.minor:D2}",
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.manufacturerID, 32)),
            Pkcs11Text.FromPadded(new ReadOnlySpan<byte>(info.libraryDescription, 32)),
            $"{info.libraryVersion.major}.{info.libraryVersion.minor}");
    }

    /// <summary>C_GetSlotList: the slots (with a token in them when <paramref name="tokenPresent"/>).</summary>
    public IReadOnlyList<Pkcs11Slot> GetSlots(bool tokenPresent = true)
    {
        using (Enter())
        {
            // The list can grow between the two calls (a token plugged in): retry on CKR_BUFFER_TOO_SMALL.
            for (int attempt = 0; ; attempt++)
            {
                CULong count = default;
                Check("C_GetSlotList", Functions->C_GetSlotList(tokenPresent ? (byte)1 : (byte)0, null, &count));
                var ids = new CULong[(int)count.Value];
                ulong rv;
                fixed (CULong* p = ids)
                {
                    rv = Functions->C_GetSlotList(tokenPresent ? (byte)1 : (byte)0, p, &count).Value;
                }

                if (rv == CKR_BUFFER_TOO_SMALL && attempt < 3)
                {
                    continue;
                }

                Check("C_GetSlotList", rv);
                var slots = new Pkcs11Slot[(int)count.Value];
                for (int i = 0; i < slots.Length; i++)
                {
                    slots[i] = new Pkcs11Slot(this, ids[i].Value);
                }

                return slots;
            }
        }
    }

    /// <summary>Releases this lease; the last one finalises and unloads the module once its sessions are closed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (s_lock)
        {
            if (--_shared.Leases == 0)
            {
                s_modules.Remove(Path);
                _shared.Handle.Dispose();
            }
        }
    }

    /// <summary>The function list; only valid inside <see cref="Enter"/>.</summary>
    internal CK_FUNCTION_LIST* Functions => _shared.Handle.Functions;

    /// <summary>Keeps the native module alive for the duration of a call.</summary>
    internal HandleScope Enter()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return new HandleScope(_shared.Handle);
    }

    /// <summary>Throws <see cref="Pkcs11Exception"/> unless <paramref name="rv"/> is CKR_OK.</summary>
    internal static void Check(string function, CULong rv)
    {
        if (rv.Value != CKR_OK)
        {
            throw new Pkcs11Exception(function, rv.Value);
        }
    }

    /// <summary>Throws <see cref="Pkcs11Exception"/> unless <paramref name="rv"/> is CKR_OK.</summary>
    internal static void Check(string function, ulong rv)
    {
        if (rv != CKR_OK)
        {
            throw new Pkcs11Exception(function, rv);
        }
    }

    private sealed class SharedModule(SafePkcs11ModuleHandle handle)
    {
        public SafePkcs11ModuleHandle Handle { get; } = handle;

        public int Leases { get; set; }
    }
}

/// <summary>A DangerousAddRef/DangerousRelease pair around one native call.</summary>
internal readonly struct HandleScope : IDisposable
{
    private readonly System.Runtime.InteropServices.SafeHandle? _handle;

    public HandleScope(System.Runtime.InteropServices.SafeHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        _handle = added ? handle : null;
    }

    public void Dispose() => _handle?.DangerousRelease();
}
