// SPDX-License-Identifier: Apache-2.0
using System.Runtime.InteropServices;

namespace KeyCustody.Pkcs11.Interop;

/// <summary>
/// A CK_ATTRIBUTE array and its values in one block of native memory, so no managed buffer has to stay pinned
/// across the call. The block is zeroed before it is freed (templates can carry key material on unwrap/import).
/// </summary>
internal unsafe struct NativeTemplate : IDisposable
{
    private nuint _size;

    /// <summary>Copies <paramref name="attributes"/> into native memory.</summary>
    public NativeTemplate(ReadOnlySpan<Pkcs11Attribute> attributes)
    {
        Count = attributes.Length;
        nuint header = (nuint)(sizeof(CK_ATTRIBUTE) * attributes.Length);
        nuint size = header;
        foreach (Pkcs11Attribute attribute in attributes)
        {
            size += Align((nuint)attribute.Value.Length);
        }

        _size = size == 0 ? 1 : size;
        Pointer = (CK_ATTRIBUTE*)NativeMemory.AllocZeroed(_size);
        byte* next = (byte*)Pointer + header;
        for (int i = 0; i < attributes.Length; i++)
        {
            byte[] value = attributes[i].Value;
            value.CopyTo(new Span<byte>(next, value.Length));
            Pointer[i] = new CK_ATTRIBUTE
            {
                type = new CULong(checked((nuint)attributes[i].Type)),
                pValue = value.Length == 0 ? null : next,
                ulValueLen = new CULong((nuint)value.Length),
            };
            next += Align((nuint)value.Length);
        }
    }

    /// <summary>The CK_ATTRIBUTE array.</summary>
    public CK_ATTRIBUTE* Pointer { get; private set; }

    /// <summary>The number of attributes.</summary>
    public int Count { get; }

    /// <summary>The number of attributes as CK_ULONG.</summary>
    public readonly CULong NativeCount => new((nuint)Count);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Pointer is not null)
        {
            NativeMemory.Clear(Pointer, _size);
            NativeMemory.Free(Pointer);
            Pointer = null;
            _size = 0;
        }
    }

    private static nuint Align(nuint length) => (length + 7) & ~(nuint)7;
}
