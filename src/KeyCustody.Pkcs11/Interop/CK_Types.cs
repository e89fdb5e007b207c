// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

#pragma warning disable SA1300, IDE1006 // Native spellings on purpose: these mirror pkcs11t.h one to one.

namespace KeyCustody.Pkcs11.Interop;

// Structures of PKCS#11 v2.40 (OASIS, pkcs11t.h). On Linux the headers use natural alignment (no packing), and
// CK_ULONG is C `unsigned long`, hence CULong (8 bytes on LP64, 4 on 32-bit ARM).
// https://docs.oasis-open.org/pkcs11/pkcs11-base/v2.40/os/pkcs11-base-v2.40-os.html#_Toc416959687

/// <summary>CK_VERSION: major/minor version bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CK_VERSION
{
    public byte major;
    public byte minor;
}

/// <summary>CK_INFO, filled by C_GetInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_INFO
{
    public CK_VERSION cryptokiVersion;
    public fixed byte manufacturerID[32];
    public CULong flags;
    public fixed byte libraryDescription[32];
    public CK_VERSION libraryVersion;
}

/// <summary>CK_SLOT_INFO, filled by C_GetSlotInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_SLOT_INFO
{
    public fixed byte slotDescription[64];
    public fixed byte manufacturerID[32];
    public CULong flags;
    public CK_VERSION hardwareVersion;
    public CK_VERSION firmwareVersion;
}

/// <summary>CK_TOKEN_INFO, filled by C_GetTokenInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_TOKEN_INFO
{
    public fixed byte label[32];
    public fixed byte manufacturerID[32];
    public fixed byte model[16];
    public fixed byte serialNumber[16];
    public CULong flags;
    public CULong ulMaxSessionCount;
    public CULong ulSessionCount;
    public CULong ulMaxRwSessionCount;
    public CULong ulRwSessionCount;
    public CULong ulMaxPinLen;
    public CULong ulMinPinLen;
    public CULong ulTotalPublicMemory;
    public CULong ulFreePublicMemory;
    public CULong ulTotalPrivateMemory;
    public CULong ulFreePrivateMemory;
    public CK_VERSION hardwareVersion;
    public CK_VERSION firmwareVersion;
    public fixed byte utcTime[16];
}

/// <summary>CK_SESSION_INFO, filled by C_GetSessionInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CK_SESSION_INFO
{
    public CULong slotID;
    public CULong state;
    public CULong flags;
    public CULong ulDeviceError;
}

/// <summary>CK_ATTRIBUTE: one (type, value pointer, length) triple of a template.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_ATTRIBUTE
{
    public CULong type;
    public void* pValue;
    public CULong ulValueLen;
}

/// <summary>CK_MECHANISM: a mechanism type and its parameter block.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_MECHANISM
{
    public CULong mechanism;
    public void* pParameter;
    public CULong ulParameterLen;
}

/// <summary>CK_MECHANISM_INFO, filled by C_GetMechanismInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CK_MECHANISM_INFO
{
    public CULong ulMinKeySize;
    public CULong ulMaxKeySize;
    public CULong flags;
}

/// <summary>CK_C_INITIALIZE_ARGS: mutex callbacks (all null: we ask for OS locking) and flags.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_C_INITIALIZE_ARGS
{
    public void* CreateMutex;
    public void* DestroyMutex;
    public void* LockMutex;
    public void* UnlockMutex;
    public CULong flags;
    public void* pReserved;
}

/// <summary>CK_RSA_PKCS_PSS_PARAMS: the parameter of CKM_RSA_PKCS_PSS.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CK_RSA_PKCS_PSS_PARAMS
{
    public CULong hashAlg;
    public CULong mgf;
    public CULong sLen;
}
