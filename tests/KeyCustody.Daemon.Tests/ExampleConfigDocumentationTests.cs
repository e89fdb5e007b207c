// SPDX-License-Identifier: Apache-2.0
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using KeyCustody.Daemon.Options;
using KeyCustody.Gpio;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The shipped <c>image/keycustody.json</c> (installed as /etc/keycustody/keycustody.json) must document every
/// option the daemon reads, and nothing else. The option set is derived from the options types by reflection, so a
/// new option without documentation fails here.
/// </summary>
public sealed partial class ExampleConfigDocumentationTests
{
    private static readonly string s_examplePath = FindExample();

    [Fact]
    public void ExampleConfig_EveryOptionTheDaemonReads_IsPresentAndCommented()
    {
        // Arrange
        IReadOnlySet<string> options = OptionPaths();
        Dictionary<string, bool> documented = DocumentedKeys(File.ReadAllLines(s_examplePath));

        // Act
        string[] missing = [.. options.Where(o => !documented.ContainsKey(o)).Order(StringComparer.Ordinal)];
        string[] uncommented = [.. options.Where(o => documented.TryGetValue(o, out bool c) && !c).Order(StringComparer.Ordinal)];

        // Assert
        Assert.True(options.Count > 30, $"reflection found only {options.Count} options; the walk is broken");
        Assert.True(missing.Length == 0, "options the example does not show: " + string.Join(", ", missing));
        Assert.True(uncommented.Length == 0, "options without a comment above them: " + string.Join(", ", uncommented));
    }

    [Fact]
    public void ExampleConfig_EveryDocumentedKey_IsAnOptionTheDaemonReads()
    {
        // Arrange
        IReadOnlySet<string> options = OptionPaths();
        Dictionary<string, bool> documented = DocumentedKeys(File.ReadAllLines(s_examplePath));

        // Act
        string[] stale = [.. documented.Keys.Where(k => !options.Contains(k)).Order(StringComparer.Ordinal)];

        // Assert
        Assert.True(stale.Length == 0, "documented keys the daemon does not read: " + string.Join(", ", stale));
    }

    // "$"-less dotted paths such as "listen.tcp.port", from the properties the serializer reads.
    private static IReadOnlySet<string> OptionPaths()
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        Walk(typeof(DaemonOptions), string.Empty, paths);
        return paths;
    }

    private static void Walk(Type type, string prefix, HashSet<string> paths)
    {
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is null || property.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            string path = prefix + JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            paths.Add(path);
            Type t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            // The button and LED are kept as raw JSON and read by KeyCustody.Gpio's own options types.
            Type? nested = t == typeof(JsonElement)
                ? property.Name switch { "Button" => typeof(ButtonOptions), "Led" => typeof(LedOptions), _ => null }
                : t.IsClass && t.Namespace?.StartsWith("KeyCustody", StringComparison.Ordinal) == true ? t : null;
            if (nested is not null)
            {
                Walk(nested, path + ".", paths);
            }
        }
    }

    // Keys shown in the file, active or commented out ("// \"line\": 17"), mapped to whether a comment line sits
    // within the three lines above (a shared comment may cover two adjacent keys).
    private static Dictionary<string, bool> DocumentedKeys(string[] lines)
    {
        var keys = new Dictionary<string, bool>(StringComparer.Ordinal);
        var stack = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            Match m = KeyLine().Match(lines[i]);
            if (m.Success)
            {
                string key = m.Groups["key"].Value;
                string path = string.Join('.', [.. stack, key]);
                bool commented = Enumerable.Range(Math.Max(0, i - 3), i - Math.Max(0, i - 3))
                    .Any(j => CommentLine().IsMatch(lines[j]) && !KeyLine().IsMatch(lines[j]));
                keys[path] = commented;
                if (m.Groups["open"].Success && !lines[i][(m.Index + m.Length)..].Contains('}', StringComparison.Ordinal))
                {
                    stack.Add(key);
                }
            }
            else if (!lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal) && lines[i].Contains('}', StringComparison.Ordinal) && stack.Count > 0)
            {
                stack.RemoveAt(stack.Count - 1);
            }
        }

        return keys;
    }

    private static string FindExample()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "image", "keycustody.json");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("image/keycustody.json not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("""^\s*(?://\s*)?"(?<key>[A-Za-z0-9]+)"\s*:\s*(?<open>\{)?""")]
    private static partial Regex KeyLine();

    [GeneratedRegex("""^\s*//""")]
    private static partial Regex CommentLine();
}
