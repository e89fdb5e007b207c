// SPDX-License-Identifier: Apache-2.0
using System.Diagnostics.CodeAnalysis;
using KeyCustody.Protocol.V1;

namespace KeyCustody.Cli.Parsing;

/// <summary>
/// Turns repeated <c>--meta key=value</c> options into the request's <see cref="ArtifactMetadata"/>. The keys
/// <c>name</c>, <c>version</c>, <c>repository</c>, <c>commit</c> and <c>pipeline-run</c> fill the named fields (the
/// ones officers see in <c>keycustody pending</c>); any other key becomes a label.
/// </summary>
public static class MetadataText
{
    private static readonly string[] s_namedFields = ["name", "version", "repository", "commit", "pipeline-run"];

    /// <summary>Parses <paramref name="pairs"/>; on failure <paramref name="error"/> names the bad pair.</summary>
    public static bool TryParse(
        IEnumerable<string> pairs, [NotNullWhen(true)] out ArtifactMetadata? metadata, [NotNullWhen(false)] out string? error)
    {
        metadata = null;
        var result = new ArtifactMetadata();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string pair in pairs)
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                error = $"--meta '{pair}' is not KEY=VALUE";
                return false;
            }

            string key = pair[..equals].Trim();
            string value = pair[(equals + 1)..];
            if (key.Length == 0 || key.Any(char.IsWhiteSpace))
            {
                error = $"--meta '{pair}' has an empty key or one with spaces";
                return false;
            }

            // pipeline_run is the proto spelling; accept it too so scripts can use either.
            string canonical = key == "pipeline_run" ? "pipeline-run" : key;
            if (!seen.Add(canonical))
            {
                error = $"--meta key '{key}' is given more than once";
                return false;
            }

            switch (canonical)
            {
                case "name": result.Name = value; break;
                case "version": result.Version = value; break;
                case "repository": result.Repository = value; break;
                case "commit": result.Commit = value; break;
                case "pipeline-run": result.PipelineRun = value; break;
                default: result.Labels[key] = value; break;
            }
        }

        metadata = result;
        error = null;
        return true;
    }

    /// <summary>The keys that fill a named field rather than a label.</summary>
    public static IReadOnlyList<string> NamedFields => s_namedFields;
}
