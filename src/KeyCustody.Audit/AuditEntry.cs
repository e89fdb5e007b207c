// SPDX-License-Identifier: Apache-2.0
using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KeyCustody.Core;

namespace KeyCustody.Audit;

/// <summary>
/// Ordered JSON fields of an audit entry or of an object nested in one. Names are lower-case snake_case
/// (<c>[a-z][a-z0-9_]*</c>, at most 64 characters) and may appear once. Values keep the order they were added in,
/// so the same event always serialises to the same bytes. Never add a secret (PIN, auth value, share, private key).
/// </summary>
/// <typeparam name="TSelf">The concrete builder, so chained calls keep their type.</typeparam>
public abstract class AuditFieldsBuilder<TSelf>
    where TSelf : AuditFieldsBuilder<TSelf>
{
    private readonly JsonObject _fields = [];

    private protected AuditFieldsBuilder()
    {
    }

    /// <summary>Adds a string field; a null value is written as JSON null.</summary>
    public TSelf Add(string name, string? value) => Set(name, value is null ? null : JsonValue.Create(value));

    /// <summary>Adds an integer field.</summary>
    public TSelf Add(string name, long value) => Set(name, JsonValue.Create(value));

    /// <summary>Adds a boolean field.</summary>
    public TSelf Add(string name, bool value) => Set(name, JsonValue.Create(value));

    /// <summary>Adds a timestamp as RFC 3339 UTC with milliseconds (<c>2025-01-02T03:04:05.678Z</c>).</summary>
    public TSelf Add(string name, DateTimeOffset value) => Set(name, JsonValue.Create(AuditEntry.FormatTime(value)));

    /// <summary>Adds a status by its stable enum name (for example <c>"AuditUnavailable"</c>).</summary>
    public TSelf Add(string name, CustodyStatus value) => Set(name, JsonValue.Create(value.ToString()));

    /// <summary>Adds a key name.</summary>
    public TSelf Add(string name, KeyName value) => Set(name, JsonValue.Create(value.Value));

    /// <summary>Adds a list of strings.</summary>
    public TSelf Add(string name, IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var array = new JsonArray();
        foreach (string value in values)
        {
            array.Add(JsonValue.Create(value));
        }

        return Set(name, array);
    }

    /// <summary>Adds binary data as standard base64 (signatures, provenance digests).</summary>
    public TSelf AddBase64(string name, ReadOnlySpan<byte> value) => Set(name, JsonValue.Create(Convert.ToBase64String(value)));

    /// <summary>Adds binary data as lower-case hex (artifact digests, key ids).</summary>
    public TSelf AddHex(string name, ReadOnlySpan<byte> value) => Set(name, JsonValue.Create(Convert.ToHexStringLower(value)));

    /// <summary>Adds a nested object built by <paramref name="build"/>.</summary>
    public TSelf AddObject(string name, Action<AuditFields> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var nested = new AuditFields();
        build(nested);
        return Set(name, nested.Detach());
    }

    /// <summary>Adds a list of nested objects, one per item (for example the approvals that made a quorum).</summary>
    public TSelf AddObjects<T>(string name, IEnumerable<T> items, Action<AuditFields, T> build)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(build);
        var array = new JsonArray();
        foreach (T item in items)
        {
            var nested = new AuditFields();
            build(nested, item);
            array.Add(nested.Detach());
        }

        return Set(name, array);
    }

    private protected virtual bool IsReserved(string name) => false;

    private protected JsonObject Detach()
    {
        var copy = new JsonObject();
        foreach (KeyValuePair<string, JsonNode?> field in _fields)
        {
            copy[field.Key] = field.Value?.DeepClone();
        }

        return copy;
    }

    private protected void WriteFields(Utf8JsonWriter writer)
    {
        foreach (KeyValuePair<string, JsonNode?> field in _fields)
        {
            writer.WritePropertyName(field.Key);
            if (field.Value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                field.Value.WriteTo(writer);
            }
        }
    }

    private TSelf Set(string name, JsonNode? value)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid audit field name: use [a-z][a-z0-9_]*, at most 64 characters.", nameof(name));
        }

        if (IsReserved(name) || _fields.ContainsKey(name))
        {
            throw new ArgumentException($"The audit field '{name}' is already set.", nameof(name));
        }

        _fields[name] = value;
        return (TSelf)this;
    }

    internal static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !char.IsAsciiLetterLower(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Fields of an object nested in an audit entry.</summary>
public sealed class AuditFields : AuditFieldsBuilder<AuditFields>
{
    internal AuditFields()
    {
    }

    internal new JsonObject Detach() => base.Detach();
}

/// <summary>
/// Builds one audit entry: a UTF-8 JSON object that starts <c>{"v":1,"type":…,"time":…</c> followed by the event's
/// fields in the order they were added. The bytes <see cref="ToUtf8"/> returns are what the log stores and hashes
/// (no canonicalisation happens later), so build each entry once and append exactly those bytes.
/// </summary>
/// <example>
/// <code>
/// byte[] entry = AuditEntry.Create(AuditEventTypes.SigningRequested, time)
///     .Add("request_id", id).Add("key", keyName).AddHex("digest", digest).ToUtf8();
/// </code>
/// </example>
public sealed class AuditEntry : AuditFieldsBuilder<AuditEntry>
{
    /// <summary>The entry schema version written in the <c>"v"</c> field.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The largest entry the log accepts, in bytes. Large evidence (provenance) is recorded by digest.</summary>
    public const int MaxSize = 64 * 1024;

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // Relaxed escaping keeps base64 '+' and non-ASCII names readable; entries are never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private AuditEntry(string type, DateTimeOffset time)
    {
        Type = type;
        Time = time;
    }

    /// <summary>The event type, for example <see cref="AuditEventTypes.SigningSigned"/>.</summary>
    public string Type { get; }

    /// <summary>When the event happened.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>Starts an entry of <paramref name="type"/> (dotted lower-case, see <see cref="AuditEventTypes"/>) at <paramref name="time"/>.</summary>
    public static AuditEntry Create(string type, DateTimeOffset time)
    {
        if (!AuditEventTypes.IsValid(type))
        {
            throw new ArgumentException($"'{type}' is not a valid audit event type: use dotted lower-case words such as 'signing.signed'.", nameof(type));
        }

        return new AuditEntry(type, time);
    }

    /// <summary>Serialises the entry to the exact bytes the log will store.</summary>
    /// <exception cref="CustodyException">MessageTooLarge when the entry exceeds <see cref="MaxSize"/>.</exception>
    public byte[] ToUtf8()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", SchemaVersion);
            writer.WriteString("type", Type);
            writer.WriteString("time", FormatTime(Time));
            WriteFields(writer);
            writer.WriteEndObject();
        }

        if (buffer.WrittenCount > MaxSize)
        {
            throw new CustodyException(CustodyStatus.MessageTooLarge,
                $"The '{Type}' audit entry is {buffer.WrittenCount} bytes; the limit is {MaxSize}. Record large evidence by digest.");
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => $"audit entry {Type} at {FormatTime(Time)}";

    /// <summary>Formats a time the way entries carry it: RFC 3339, UTC, milliseconds.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads the envelope of a stored entry (schema version, type, time) for display. Returns false when the bytes
    /// are not a JSON object with those fields; the entry still verifies as a leaf either way.
    /// </summary>
    public static bool TryReadEnvelope(ReadOnlySpan<byte> entry, out int version, out string type, out string time)
    {
        version = 0;
        type = string.Empty;
        time = string.Empty;
        try
        {
            using JsonDocument document = JsonDocument.Parse(entry.ToArray());
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("v", out JsonElement v) || !v.TryGetInt32(out version)
                || !root.TryGetProperty("type", out JsonElement t) || t.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("time", out JsonElement when) || when.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            type = t.GetString()!;
            time = when.GetString()!;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private protected override bool IsReserved(string name) => name is "v" or "type" or "time";
}
