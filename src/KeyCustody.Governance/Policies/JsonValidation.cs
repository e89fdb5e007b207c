// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;

namespace KeyCustody.Governance;

/// <summary>One problem found while validating a JSON document, with the path of the offending field.</summary>
/// <param name="Path">Where: e.g. <c>policy.rateLimits[1].window</c>.</param>
/// <param name="Message">What is wrong and how to fix it.</param>
public sealed record ValidationError(string Path, string Message)
{
    /// <summary><c>path: message</c>.</summary>
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// Walks a <see cref="JsonDocument"/> collecting every error with its path instead of stopping at the first,
/// so an operator fixes a document in one pass. Unknown and duplicate fields are errors: a typo must never
/// silently weaken a policy.
/// </summary>
internal sealed class JsonValidation
{
    private readonly List<ValidationError> _errors = [];

    public IReadOnlyList<ValidationError> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void Add(string path, string message) => _errors.Add(new ValidationError(path, message));

    public static string Child(string path, string name) => $"{path}.{name}";

    public static string Index(string path, int index) => $"{path}[{index}]";

    /// <summary>Quotes a value for an error message the way JSON would show it.</summary>
    public static string Quote(string value) => JsonSerializer.Serialize(value);

    public static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>Parses <paramref name="json"/>; a syntax error is reported at <paramref name="rootPath"/>.</summary>
    public JsonDocument? ParseDocument(string? json, string rootPath)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            Add(rootPath, "the document is empty");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            Add(rootPath, $"not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})");
            return null;
        }

        // System.Text.Json parses a lone surrogate escape ("\ud800") but throws when the string is read;
        // refuse such documents up front so field readers never meet one.
        if (!CanonicalJson.TryCanonicalize(json, out _, out string? unicodeError) && unicodeError.Contains("Unicode", StringComparison.Ordinal))
        {
            document.Dispose();
            string located = unicodeError.StartsWith('$') ? rootPath + unicodeError[1..] : $"{rootPath}: {unicodeError}";
            int colon = located.IndexOf(": ", StringComparison.Ordinal);
            Add(located[..colon], located[(colon + 2)..]);
            return null;
        }

        return document;
    }

    /// <summary>
    /// Checks that <paramref name="element"/> is an object whose fields are all in <paramref name="allowed"/>,
    /// each at most once. Returns false (after reporting) when it is not an object at all.
    /// </summary>
    public bool CheckObject(JsonElement element, string path, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            Add(path, $"expected an object, got {Kind(element.ValueKind)}");
            return false;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                Add(Child(path, property.Name), "duplicate field");
            }
            else if (System.Array.IndexOf(allowed, property.Name) < 0)
            {
                Add(Child(path, property.Name), $"unknown field (expected one of: {string.Join(", ", allowed)})");
            }
        }

        return true;
    }

    /// <summary>Gets a field that is present and not null.</summary>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    public string? String(JsonElement obj, string name, string path, bool required)
    {
        string at = Child(path, name);
        if (!TryGet(obj, name, out JsonElement value))
        {
            if (required)
            {
                Add(at, "required");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Add(at, $"expected a string, got {Kind(value.ValueKind)}");
            return null;
        }

        return value.GetString();
    }

    public long? Integer(JsonElement obj, string name, string path, bool required, long min, long max)
    {
        string at = Child(path, name);
        if (!TryGet(obj, name, out JsonElement value))
        {
            if (required)
            {
                Add(at, "required");
            }

            return null;
        }

        return IntegerValue(value, at, min, max);
    }

    public long? IntegerValue(JsonElement value, string at, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
        {
            Add(at, value.ValueKind == JsonValueKind.Number
                ? $"{value.GetRawText()} is not a whole number"
                : $"expected a whole number, got {Kind(value.ValueKind)}");
            return null;
        }

        if (number < min || number > max)
        {
            Add(at, $"{number} is out of range ({min} to {max})");
            return null;
        }

        return number;
    }

    public bool? Boolean(JsonElement obj, string name, string path, bool required)
    {
        string at = Child(path, name);
        if (!TryGet(obj, name, out JsonElement value))
        {
            if (required)
            {
                Add(at, "required");
            }

            return null;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Add(at, $"expected true or false, got {Kind(value.ValueKind)}");
            return null;
        }

        return value.GetBoolean();
    }

    public TimeSpan? Duration(JsonElement obj, string name, string path, bool required, TimeSpan min, TimeSpan max)
    {
        string at = Child(path, name);
        string? text = String(obj, name, path, required);
        if (text is null)
        {
            return null;
        }

        if (!DurationText.TryParse(text, out TimeSpan duration))
        {
            Add(at, $"{Quote(text)} is not a duration (use e.g. \"1h\", \"30m\", \"1d\")");
            return null;
        }

        if (duration < min || duration > max)
        {
            Add(at, $"{Quote(text)} is out of range ({DurationText.Format(min)} to {DurationText.Format(max)})");
            return null;
        }

        return duration;
    }

    /// <summary>Gets an array field; reports when it is present but not an array.</summary>
    public JsonElement? Array(JsonElement obj, string name, string path, bool required)
    {
        string at = Child(path, name);
        if (!TryGet(obj, name, out JsonElement value))
        {
            if (required)
            {
                Add(at, "required");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Add(at, $"expected an array, got {Kind(value.ValueKind)}");
            return null;
        }

        return value;
    }

    /// <summary>An array of strings; non-string items are reported and skipped.</summary>
    public List<(string Value, string Path)>? StringArray(JsonElement obj, string name, string path, bool required)
    {
        JsonElement? array = Array(obj, name, path, required);
        if (array is null)
        {
            return null;
        }

        var items = new List<(string, string)>();
        int index = 0;
        foreach (JsonElement item in array.Value.EnumerateArray())
        {
            string at = Index(Child(path, name), index++);
            if (item.ValueKind != JsonValueKind.String)
            {
                Add(at, $"expected a string, got {Kind(item.ValueKind)}");
                continue;
            }

            items.Add((item.GetString()!, at));
        }

        return items;
    }
}
