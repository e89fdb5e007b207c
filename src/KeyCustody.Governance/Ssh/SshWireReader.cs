// SPDX-License-Identifier: Apache-2.0
using System.Buffers.Binary;
using System.Text;

namespace KeyCustody.Governance;

/// <summary>
/// Reads the SSH wire encoding (RFC 4251 §5): big-endian uint32, length-prefixed strings, mpints.
/// Every read is bounds-checked; a short or malformed buffer throws <see cref="SshFormatException"/>, which the
/// public parsers turn into a caller-facing error.
/// </summary>
internal ref struct SshWireReader
{
    private ReadOnlySpan<byte> _rest;

    public SshWireReader(ReadOnlySpan<byte> data) => _rest = data;

    public readonly bool IsEmpty => _rest.IsEmpty;

    public readonly int Remaining => _rest.Length;

    public byte ReadByte()
    {
        if (_rest.IsEmpty)
        {
            throw new SshFormatException("truncated (expected a byte)");
        }

        byte value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public uint ReadUInt32()
    {
        if (_rest.Length < 4)
        {
            throw new SshFormatException("truncated (expected a uint32)");
        }

        uint value = BinaryPrimitives.ReadUInt32BigEndian(_rest);
        _rest = _rest[4..];
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || _rest.Length < count)
        {
            throw new SshFormatException($"truncated (expected {count} bytes, {_rest.Length} left)");
        }

        ReadOnlySpan<byte> value = _rest[..count];
        _rest = _rest[count..];
        return value;
    }

    /// <summary>An RFC 4251 <c>string</c>: uint32 length, then that many bytes.</summary>
    public ReadOnlySpan<byte> ReadString()
    {
        uint length = ReadUInt32();
        if (length > (uint)_rest.Length)
        {
            throw new SshFormatException($"truncated (string of {length} bytes, {_rest.Length} left)");
        }

        return ReadBytes((int)length);
    }

    /// <summary>A string that must be printable ASCII (key type names, namespaces, hash names).</summary>
    public string ReadAsciiString()
    {
        ReadOnlySpan<byte> bytes = ReadString();
        foreach (byte b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                throw new SshFormatException("a text field contains a non-printable byte");
            }
        }

        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>
    /// A non-negative mpint (RFC 4251 §5) returned as exactly <paramref name="width"/> big-endian bytes.
    /// Negative values, non-minimal encodings and values wider than <paramref name="width"/> are rejected.
    /// </summary>
    public byte[] ReadPositiveMpint(int width)
    {
        ReadOnlySpan<byte> raw = ReadString();
        if (raw.IsEmpty)
        {
            return new byte[width];
        }

        if ((raw[0] & 0x80) != 0)
        {
            throw new SshFormatException("negative mpint");
        }

        if (raw[0] == 0)
        {
            // A leading zero is only allowed to keep the next byte's high bit from reading as a sign.
            if (raw.Length == 1 || (raw[1] & 0x80) == 0)
            {
                throw new SshFormatException("non-minimal mpint");
            }

            raw = raw[1..];
        }

        if (raw.Length > width)
        {
            throw new SshFormatException($"mpint wider than {width} bytes");
        }

        var value = new byte[width];
        raw.CopyTo(value.AsSpan(width - raw.Length));
        return value;
    }

    public readonly void EnsureEnd(string what)
    {
        if (!_rest.IsEmpty)
        {
            throw new SshFormatException($"{_rest.Length} unexpected trailing bytes after the {what}");
        }
    }
}

/// <summary>Raised inside the SSH parsers; never escapes the assembly.</summary>
internal sealed class SshFormatException(string message) : Exception(message);
