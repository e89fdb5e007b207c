// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;
using KeyCustody.Pkcs11.SafeHandles;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11.Interop;

/// <summary>
/// Loads a PKCS#11 module with <see cref="NativeLibrary"/>, fetches its function list through the one
/// mandatory export, C_GetFunctionList, and calls C_Initialize with CKF_OS_LOCKING_OK.
/// </summary>
internal static unsafe class Pkcs11Library
{
    /// <summary>
    /// glibc's dlerror() names a wrong ELF class but says "No such file or directory" for a 64-bit library of
    /// another machine, so read the ELF header (e_ident[EI_CLASS], e_machine) and say what the file is.
    /// </summary>
    private static string DescribeMismatch(string path)
    {
        Span<byte> header = stackalloc byte[20];
        try
        {
            using FileStream file = File.OpenRead(path);
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
                || !header[..4].SequenceEqual("\u007FELF"u8))
            {
                return " (the file is not an ELF shared library)";
            }
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return " (the file is not readable by this process)";
        }

        int bits = header[4] == 2 ? 64 : 32;
        ushort machine = header[5] == 2
            ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(header[18..])
            : System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
        string fileMachine = machine switch
        {
            3 => "x86",
            40 => "arm",
            62 => "x86-64",
            183 => "aarch64",
            243 => "riscv",
            _ => $"e_machine {machine}",
        };
        string wanted = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "a 64-bit x86-64 library",
            Architecture.Arm64 => "a 64-bit aarch64 library",
            Architecture.Arm => "a 32-bit arm library",
            Architecture.X86 => "a 32-bit x86 library",
            var other => $"a library for {other}",
        };
        return $" (the file is a {bits}-bit ELF for {fileMachine}; this process needs {wanted})";
    }

    /// <summary>
    /// Loads and initialises the module at <paramref name="path"/>. CKR_CRYPTOKI_ALREADY_INITIALIZED (someone else
    /// in this process initialised the same module) is accepted; the returned handle then does not call C_Finalize.
    /// </summary>
    /// <exception cref="Pkcs11ModuleLoadException">The file is missing, cannot be loaded or is not a PKCS#11 module.</exception>
    /// <exception cref="Pkcs11Exception">C_GetFunctionList or C_Initialize failed.</exception>
    public static SafePkcs11ModuleHandle Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new Pkcs11ModuleLoadException(path, $"The PKCS#11 module '{path}' does not exist.");
        }

        nint library;
        try
        {
            library = NativeLibrary.Load(path);
        }
        catch (DllNotFoundException ex)
        {
            // The runtime's message carries dlerror()'s text, e.g. "wrong ELF class: ELFCLASS32" for a module
            // built for another architecture, or "invalid ELF header" for a file that is no library at all.
            throw new Pkcs11ModuleLoadException(path,
                $"The PKCS#11 module '{path}' cannot be loaded into this {RuntimeInformation.ProcessArchitecture} process: {ex.Message}{DescribeMismatch(path)}", ex);
        }
        catch (BadImageFormatException ex)
        {
            throw new Pkcs11ModuleLoadException(path,
                $"The PKCS#11 module '{path}' is not a library for this {RuntimeInformation.ProcessArchitecture} process: {ex.Message}{DescribeMismatch(path)}", ex);
        }

        var module = new SafePkcs11ModuleHandle();
        try
        {
            if (!NativeLibrary.TryGetExport(library, "C_GetFunctionList", out nint export))
            {
                throw new Pkcs11ModuleLoadException(path,
                    $"'{path}' loads but is not a PKCS#11 module: it does not export C_GetFunctionList.");
            }

            var getFunctionList = (delegate* unmanaged<CK_FUNCTION_LIST**, CULong>)export;
            CK_FUNCTION_LIST* functions = null;
            ulong rv = getFunctionList(&functions).Value;
            if (rv != CKR_OK)
            {
                throw new Pkcs11Exception("C_GetFunctionList", rv);
            }

            if (functions is null)
            {
                throw new Pkcs11ModuleLoadException(path, $"'{path}': C_GetFunctionList returned CKR_OK but no function list.");
            }

            // Cryptoki 2.x and 3.x share this list's layout; a 1.x module predates every mechanism we use.
            if (functions->version.major < 2)
            {
                throw new Pkcs11ModuleLoadException(path,
                    $"'{path}' implements Cryptoki {functions->version.major}.{functions->version.minor}; version 2.20 or later is required.");
            }

            var args = new CK_C_INITIALIZE_ARGS { flags = new CULong((nuint)CKF_OS_LOCKING_OK) };
            rv = functions->C_Initialize(&args).Value;
            bool owned = rv == CKR_OK;
            if (rv is not CKR_OK and not CKR_CRYPTOKI_ALREADY_INITIALIZED)
            {
                throw new Pkcs11Exception("C_Initialize", rv);
            }

            module.Initialize(library, functions, finalizeOnRelease: owned);
            return module;
        }
        catch
        {
            if (module.IsInvalid)
            {
                NativeLibrary.Free(library);
            }

            module.Dispose();
            throw;
        }
    }
}
