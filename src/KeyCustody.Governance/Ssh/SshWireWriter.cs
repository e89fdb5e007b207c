// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text;

namespace KeyCustody.Governance;

/// <summary>Writes the SSH wire encoding (RFC 4251 §5). Used to build the SSHSIG signed data.</summary>
internal sealed class SshWireWriter
{
    private readonly MemoryStream _buffer = new();

    public SshWireWriter WriteRaw(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        return this;
    }

    public SshWireWriter WriteByte(byte value)
    {
        _buffer.WriteByte(value);
        return this;
    }

    public SshWireWriter WriteUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public SshWireWriter WriteString(ReadOnlySpan<byte> value)
    {
        WriteUInt32((uint)value.Length);
        _buffer.Write(value);
        return this;
    }

    public SshWireWriter WriteString(string value) => WriteString(Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a non-negative big-endian integer as a minimal mpint.</summary>
    public SshWireWriter WritePositiveMpint(ReadOnlySpan<byte> magnitude)
    {
        int start = 0;
        while (start < magnitude.Length && magnitude[start] == 0)
        {
            start++;
        }

        ReadOnlySpan<byte> trimmed = magnitude[start..];
        if (!trimmed.IsEmpty && (trimmed[0] & 0x80) != 0)
        {
            WriteUInt32((uint)trimmed.Length + 1);
            _buffer.WriteByte(0);
            _buffer.Write(trimmed);
            return this;
        }

        return WriteString(trimmed);
    }

    public byte[] ToArray() => _buffer.ToArray();
}
