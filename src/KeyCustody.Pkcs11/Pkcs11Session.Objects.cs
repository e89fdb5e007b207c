// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Pkcs11.Interop;
using static KeyCustody.Pkcs11.Interop.Pkcs11Constants;

namespace KeyCustody.Pkcs11;

/// <summary>Object management: find, read and write attributes, create, destroy.</summary>
public sealed unsafe partial class Pkcs11Session
{
    /// <summary>C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal: every object matching <paramref name="template"/>.</summary>
    public IReadOnlyList<ulong> FindObjects(ReadOnlySpan<Pkcs11Attribute> template)
    {
        var found = new List<ulong>();
        using (Enter())
        using (var native = new NativeTemplate(template))
        {
            Pkcs11Module.Check("C_FindObjectsInit", Functions->C_FindObjectsInit(_handle.Value, native.Pointer, native.NativeCount));
            try
            {
                CULong* batch = stackalloc CULong[64];
                while (true)
                {
                    CULong count;
                    Pkcs11Module.Check("C_FindObjects", Functions->C_FindObjects(_handle.Value, batch, N(64), &count));
                    if (count.Value == 0)
                    {
                        break;
                    }

                    for (nuint i = 0; i < count.Value; i++)
                    {
                        found.Add(batch[i].Value);
                    }
                }
            }
            finally
            {
                // Ends the find even when C_FindObjects failed, so the session can start another operation.
                _ = Functions->C_FindObjectsFinal(_handle.Value);
            }
        }

        return found;
    }

    /// <summary>
    /// C_GetAttributeValue for one attribute; throws for any error, including CKR_ATTRIBUTE_SENSITIVE (asking
    /// for CKA_VALUE of a sensitive key) and CKR_ATTRIBUTE_TYPE_INVALID.
    /// </summary>
    public byte[] GetAttributeValue(ulong handle, ulong type)
    {
        using (Enter())
        {
            var attribute = new CK_ATTRIBUTE { type = N(type) };
            Pkcs11Module.Check("C_GetAttributeValue", Functions->C_GetAttributeValue(_handle.Value, N(handle), &attribute, N(1)));
            if (attribute.ulValueLen.Value == unchecked((nuint)CK_UNAVAILABLE_INFORMATION))
            {
                throw new Pkcs11Exception("C_GetAttributeValue", CKR_ATTRIBUTE_SENSITIVE);
            }

            var value = new byte[(int)attribute.ulValueLen.Value];
            fixed (byte* p = value)
            {
                attribute.pValue = p;
                Pkcs11Module.Check("C_GetAttributeValue", Functions->C_GetAttributeValue(_handle.Value, N(handle), &attribute, N(1)));
            }

            return value.Length == (int)attribute.ulValueLen.Value ? value : value[..(int)attribute.ulValueLen.Value];
        }
    }

    /// <summary>
    /// C_GetAttributeValue for several attributes at once. An attribute the object does not have or will not
    /// reveal (CKR_ATTRIBUTE_TYPE_INVALID / CKR_ATTRIBUTE_SENSITIVE, PKCS#11 §5.7.5) comes back as null;
    /// any other error throws.
    /// </summary>
    public byte[]?[] GetAttributeValues(ulong handle, ReadOnlySpan<ulong> types)
    {
        var result = new byte[]?[types.Length];
        using (Enter())
        {
            var attributes = new CK_ATTRIBUTE[types.Length];
            for (int i = 0; i < types.Length; i++)
            {
                attributes[i].type = N(types[i]);
            }

            fixed (CK_ATTRIBUTE* p = attributes)
            {
                ulong rv = Functions->C_GetAttributeValue(_handle.Value, N(handle), p, N(types.Length)).Value;
                if (rv is not CKR_OK and not CKR_ATTRIBUTE_SENSITIVE and not CKR_ATTRIBUTE_TYPE_INVALID)
                {
                    throw new Pkcs11Exception("C_GetAttributeValue", rv);
                }
            }

            var available = new List<int>(types.Length);
            for (int i = 0; i < types.Length; i++)
            {
                if (attributes[i].ulValueLen.Value != unchecked((nuint)CK_UNAVAILABLE_INFORMATION))
                {
                    result[i] = new byte[(int)attributes[i].ulValueLen.Value];
                    available.Add(i);
                }
            }

            if (available.Count == 0)
            {
                return result;
            }

            // Second pass over the available ones only; pin every buffer for the call.
            var second = new CK_ATTRIBUTE[available.Count];
            var pins = new System.Runtime.InteropServices.GCHandle[available.Count];
            try
            {
                for (int j = 0; j < available.Count; j++)
                {
                    byte[] buffer = result[available[j]]!;
                    pins[j] = System.Runtime.InteropServices.GCHandle.Alloc(buffer, System.Runtime.InteropServices.GCHandleType.Pinned);
                    second[j] = new CK_ATTRIBUTE
                    {
                        type = attributes[available[j]].type,
                        pValue = buffer.Length == 0 ? null : (void*)pins[j].AddrOfPinnedObject(),
                        ulValueLen = N(buffer.Length),
                    };
                }

                fixed (CK_ATTRIBUTE* p = second)
                {
                    Pkcs11Module.Check("C_GetAttributeValue", Functions->C_GetAttributeValue(_handle.Value, N(handle), p, N(second.Length)));
                }
            }
            finally
            {
                foreach (var pin in pins)
                {
                    if (pin.IsAllocated)
                    {
                        pin.Free();
                    }
                }
            }

            for (int j = 0; j < available.Count; j++)
            {
                int length = (int)second[j].ulValueLen.Value;
                if (length != result[available[j]]!.Length)
                {
                    result[available[j]] = result[available[j]]![..length];
                }
            }
        }

        return result;
    }

    /// <summary>C_SetAttributeValue.</summary>
    public void SetAttributeValue(ulong handle, ReadOnlySpan<Pkcs11Attribute> template)
    {
        using (Enter())
        using (var native = new NativeTemplate(template))
        {
            Pkcs11Module.Check("C_SetAttributeValue", Functions->C_SetAttributeValue(_handle.Value, N(handle), native.Pointer, native.NativeCount));
        }
    }

    /// <summary>C_CreateObject; returns the new object's handle.</summary>
    public ulong CreateObject(ReadOnlySpan<Pkcs11Attribute> template)
    {
        using (Enter())
        using (var native = new NativeTemplate(template))
        {
            CULong handle;
            Pkcs11Module.Check("C_CreateObject", Functions->C_CreateObject(_handle.Value, native.Pointer, native.NativeCount, &handle));
            return handle.Value;
        }
    }

    /// <summary>C_DestroyObject.</summary>
    public void DestroyObject(ulong handle)
    {
        using (Enter())
        {
            Pkcs11Module.Check("C_DestroyObject", Functions->C_DestroyObject(_handle.Value, N(handle)));
        }
    }
}
