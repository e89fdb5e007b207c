// SPDX-License-Identifier: Apache-2.0
using System.Collections;
using System.Text;

namespace KeyCustody.Grpc;

/// <summary>
/// Ordered gRPC metadata (request headers or response trailers). Keys are lower-case ASCII; keys ending in
/// <c>-bin</c> carry binary values, sent base64-encoded on the wire
/// (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md, "Custom-Metadata"). A key may repeat.
/// </summary>
public sealed class Metadata : IReadOnlyList<Metadata.Entry>
{
    /// <summary>The suffix that marks a binary-valued key.</summary>
    public const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries = [];

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public Entry this[int index] => _entries[index];

    /// <summary>Adds an ASCII-valued entry. The value must be printable ASCII (0x20–0x7E).</summary>
    /// <exception cref="ArgumentException">The key is invalid or reserved, or ends in -bin, or the value is not printable ASCII.</exception>
    public Metadata Add(string key, string value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    /// <summary>Adds a binary-valued entry; the key must end in <c>-bin</c>.</summary>
    /// <exception cref="ArgumentException">The key is invalid or reserved, or does not end in -bin.</exception>
    public Metadata Add(string key, byte[] value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    /// <summary>Adds an existing entry.</summary>
    public Metadata Add(Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _entries.Add(entry);
        return this;
    }

    /// <summary>The first ASCII value stored under <paramref name="key"/>, or null.</summary>
    public string? GetValue(string key)
    {
        string normalized = key.ToLowerInvariant();
        foreach (Entry entry in _entries)
        {
            if (!entry.IsBinary && entry.Key == normalized)
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>The first binary value stored under <paramref name="key"/> (which ends in -bin), or null.</summary>
    public byte[]? GetValueBytes(string key)
    {
        string normalized = key.ToLowerInvariant();
        foreach (Entry entry in _entries)
        {
            if (entry.IsBinary && entry.Key == normalized)
            {
                return entry.ValueBytes;
            }
        }

        return null;
    }

    /// <summary>Every entry stored under <paramref name="key"/>, in order.</summary>
    public IEnumerable<Entry> GetAll(string key)
    {
        string normalized = key.ToLowerInvariant();
        return _entries.Where(e => e.Key == normalized);
    }

    /// <summary>Removes every entry stored under <paramref name="key"/>; returns how many were removed.</summary>
    public int RemoveAll(string key)
    {
        string normalized = key.ToLowerInvariant();
        return _entries.RemoveAll(e => e.Key == normalized);
    }

    /// <inheritdoc />
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Lists keys only; values may be credentials and are never rendered.</summary>
    public override string ToString() => $"Metadata[{string.Join(", ", _entries.Select(e => e.Key))}]";

    /// <summary>True when <paramref name="key"/> is reserved by the protocol and cannot be set as custom metadata.</summary>
    public static bool IsReservedKey(string key) =>
        key.StartsWith(':') || key.StartsWith("grpc-", StringComparison.Ordinal) ||
        key is "content-type" or "te" or "content-length" or "host" or "connection" or "transfer-encoding" or
            "upgrade" or "keep-alive" or "proxy-connection";

    /// <summary>True when <paramref name="key"/> is a syntactically valid metadata key (lower-case 0-9 a-z - _ .).</summary>
    public static bool IsValidKey(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return false;
        }

        foreach (char c in key)
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One key/value pair. Binary entries hold bytes; ASCII entries hold a string.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _bytes;

        /// <summary>Creates an ASCII-valued entry.</summary>
        public Entry(string key, string value)
        {
            Key = CheckKey(key, binary: false);
            ArgumentNullException.ThrowIfNull(value);
            foreach (char c in value)
            {
                if (c is < ' ' or > '~')
                {
                    throw new ArgumentException($"Metadata value for '{Key}' must be printable ASCII; use a '-bin' key for other data.", nameof(value));
                }
            }

            _value = value;
        }

        /// <summary>Creates a binary-valued entry (the key must end in -bin).</summary>
        public Entry(string key, byte[] value)
        {
            Key = CheckKey(key, binary: true);
            ArgumentNullException.ThrowIfNull(value);
            _bytes = value.ToArray();
        }

        /// <summary>The lower-case key.</summary>
        public string Key { get; }

        /// <summary>True for keys ending in -bin.</summary>
        public bool IsBinary => _bytes is not null;

        /// <summary>The ASCII value; for a binary entry, its base64 wire form.</summary>
        public string Value => _value ?? Convert.ToBase64String(_bytes!);

        /// <summary>The binary value; for an ASCII entry, its ASCII bytes.</summary>
        public byte[] ValueBytes => _bytes?.ToArray() ?? Encoding.ASCII.GetBytes(_value!);

        /// <summary>Renders the key only: values may be credentials.</summary>
        public override string ToString() => Key;

        private static string CheckKey(string key, bool binary)
        {
            ArgumentNullException.ThrowIfNull(key);
            string normalized = key.ToLowerInvariant();
            if (!IsValidKey(normalized))
            {
                throw new ArgumentException($"'{key}' is not a valid metadata key (allowed: 0-9 a-z - _ .).", nameof(key));
            }

            if (IsReservedKey(normalized))
            {
                throw new ArgumentException($"'{key}' is reserved by the gRPC protocol.", nameof(key));
            }

            if (normalized.EndsWith(BinarySuffix, StringComparison.Ordinal) != binary)
            {
                throw new ArgumentException(
                    binary ? $"Binary metadata key '{key}' must end in '-bin'." : $"Key '{key}' ends in '-bin': add a byte[] value.",
                    nameof(key));
            }

            return normalized;
        }
    }
}
