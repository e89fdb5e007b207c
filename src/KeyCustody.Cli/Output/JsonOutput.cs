// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace KeyCustody.Cli.Output;

/// <summary>
/// The <c>--json</c> output: one JSON document on stdout per command. Protocol messages use the proto3 JSON
/// mapping (lowerCamelCase names, enums by name, bytes in base64, every field present).
/// </summary>
public static class JsonOutput
{
    private static readonly JsonFormatter s_formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonSerializerOptions s_options = new() { WriteIndented = true };

    /// <summary>A protocol message as a JSON node.</summary>
    public static JsonNode Message(IMessage message) => JsonNode.Parse(s_formatter.Format(message))!;

    /// <summary>A protocol message as a JSON node, or null.</summary>
    public static JsonNode? MessageOrNull(IMessage? message) => message is null ? null : Message(message);

    /// <summary>The proto name of an enum value ("SIGNING_REQUEST_STATE_SIGNED"), as the messages' JSON spells it.</summary>
    public static string EnumName<T>(T value)
        where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttributes(typeof(OriginalNameAttribute), false)
            .OfType<OriginalNameAttribute>().FirstOrDefault()?.Name ?? value.ToString();

    /// <summary>Parses text that should be JSON (a receipt document); keeps it as a string when it is not.</summary>
    public static JsonNode? Embedded(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }

    /// <summary>Renders <paramref name="node"/> indented.</summary>
    public static string Render(JsonNode node) => node.ToJsonString(s_options);
}
