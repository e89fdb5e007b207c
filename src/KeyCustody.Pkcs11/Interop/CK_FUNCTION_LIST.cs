// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

#pragma warning disable SA1300, IDE1006 // Native spellings on purpose: this mirrors pkcs11f.h one to one.

namespace KeyCustody.Pkcs11.Interop;

/// <summary>
/// CK_FUNCTION_LIST as returned by C_GetFunctionList: the version followed by the 68 entry points of
/// PKCS#11 v2.40 in header order. Calling through these pointers (instead of dlsym per function) is what the
/// standard asks for: a module may export only C_GetFunctionList.
/// https://docs.oasis-open.org/pkcs11/pkcs11-base/v2.40/os/pkcs11-base-v2.40-os.html#_Toc416959738
/// </summary>
/// <remarks>CK_RV, CK_ULONG, CK_SLOT_ID, CK_SESSION_HANDLE, CK_OBJECT_HANDLE and friends are all C
/// <c>unsigned long</c>: <see cref="CULong"/>. CK_BBOOL is a byte; CK_UTF8CHAR_PTR and CK_BYTE_PTR are byte*.</remarks>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_FUNCTION_LIST
{
    public CK_VERSION version;
    public delegate* unmanaged<CK_C_INITIALIZE_ARGS*, CULong> C_Initialize;
    public delegate* unmanaged<void*, CULong> C_Finalize;
    public delegate* unmanaged<CK_INFO*, CULong> C_GetInfo;
    public delegate* unmanaged<CK_FUNCTION_LIST**, CULong> C_GetFunctionList;
    public delegate* unmanaged<byte, CULong*, CULong*, CULong> C_GetSlotList;
    public delegate* unmanaged<CULong, CK_SLOT_INFO*, CULong> C_GetSlotInfo;
    public delegate* unmanaged<CULong, CK_TOKEN_INFO*, CULong> C_GetTokenInfo;
    public delegate* unmanaged<CULong, CULong*, CULong*, CULong> C_GetMechanismList;
    public delegate* unmanaged<CULong, CULong, CK_MECHANISM_INFO*, CULong> C_GetMechanismInfo;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong> C_InitToken;
    public delegate* unmanaged<CULong, byte*, CULong, CULong> C_InitPIN;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong, CULong> C_SetPIN;
    public delegate* unmanaged<CULong, CULong, void*, void*, CULong*, CULong> C_OpenSession;
    public delegate* unmanaged<CULong, CULong> C_CloseSession;
    public delegate* unmanaged<CULong, CULong> C_CloseAllSessions;
    public delegate* unmanaged<CULong, CK_SESSION_INFO*, CULong> C_GetSessionInfo;
    public delegate* unmanaged<CULong, byte*, CULong*, CULong> C_GetOperationState;
    public delegate* unmanaged<CULong, byte*, CULong, CULong, CULong, CULong> C_SetOperationState;
    public delegate* unmanaged<CULong, CULong, byte*, CULong, CULong> C_Login;
    public delegate* unmanaged<CULong, CULong> C_Logout;
    public delegate* unmanaged<CULong, CK_ATTRIBUTE*, CULong, CULong*, CULong> C_CreateObject;
    public delegate* unmanaged<CULong, CULong, CK_ATTRIBUTE*, CULong, CULong*, CULong> C_CopyObject;
    public delegate* unmanaged<CULong, CULong, CULong> C_DestroyObject;
    public delegate* unmanaged<CULong, CULong, CULong*, CULong> C_GetObjectSize;
    public delegate* unmanaged<CULong, CULong, CK_ATTRIBUTE*, CULong, CULong> C_GetAttributeValue;
    public delegate* unmanaged<CULong, CULong, CK_ATTRIBUTE*, CULong, CULong> C_SetAttributeValue;
    public delegate* unmanaged<CULong, CK_ATTRIBUTE*, CULong, CULong> C_FindObjectsInit;
    public delegate* unmanaged<CULong, CULong*, CULong, CULong*, CULong> C_FindObjects;
    public delegate* unmanaged<CULong, CULong> C_FindObjectsFinal;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CULong> C_EncryptInit;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_Encrypt;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_EncryptUpdate;
    public delegate* unmanaged<CULong, byte*, CULong*, CULong> C_EncryptFinal;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CULong> C_DecryptInit;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_Decrypt;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_DecryptUpdate;
    public delegate* unmanaged<CULong, byte*, CULong*, CULong> C_DecryptFinal;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong> C_DigestInit;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_Digest;
    public delegate* unmanaged<CULong, byte*, CULong, CULong> C_DigestUpdate;
    public delegate* unmanaged<CULong, CULong, CULong> C_DigestKey;
    public delegate* unmanaged<CULong, byte*, CULong*, CULong> C_DigestFinal;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CULong> C_SignInit;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_Sign;
    public delegate* unmanaged<CULong, byte*, CULong, CULong> C_SignUpdate;
    public delegate* unmanaged<CULong, byte*, CULong*, CULong> C_SignFinal;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CULong> C_SignRecoverInit;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_SignRecover;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CULong> C_VerifyInit;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong, CULong> C_Verify;
    public delegate* unmanaged<CULong, byte*, CULong, CULong> C_VerifyUpdate;
    public delegate* unmanaged<CULong, byte*, CULong, CULong> C_VerifyFinal;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CULong> C_VerifyRecoverInit;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_VerifyRecover;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_DigestEncryptUpdate;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_DecryptDigestUpdate;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_SignEncryptUpdate;
    public delegate* unmanaged<CULong, byte*, CULong, byte*, CULong*, CULong> C_DecryptVerifyUpdate;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CK_ATTRIBUTE*, CULong, CULong*, CULong> C_GenerateKey;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CK_ATTRIBUTE*, CULong, CK_ATTRIBUTE*, CULong, CULong*, CULong*, CULong> C_GenerateKeyPair;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CULong, byte*, CULong*, CULong> C_WrapKey;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, byte*, CULong, CK_ATTRIBUTE*, CULong, CULong*, CULong> C_UnwrapKey;
    public delegate* unmanaged<CULong, CK_MECHANISM*, CULong, CK_ATTRIBUTE*, CULong, CULong*, CULong> C_DeriveKey;
    public delegate* unmanaged<CULong, byte*, CULong, CULong> C_SeedRandom;
    public delegate* unmanaged<CULong, byte*, CULong, CULong> C_GenerateRandom;
    public delegate* unmanaged<CULong, CULong> C_GetFunctionStatus;
    public delegate* unmanaged<CULong, CULong> C_CancelFunction;
    public delegate* unmanaged<CULong, CULong*, void*, CULong> C_WaitForSlotEvent;
}
