// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using KeyCustody.Core;

namespace KeyCustody.Cli.Connection;

/// <summary>An enrolled member of the dev genesis whose SSH private key the dev appliance generated.</summary>
/// <param name="Name">The officer's or custodian's enrolled name.</param>
/// <param name="SshKeyPath">Absolute path of the OpenSSH private key (for <c>ssh-keygen -Y sign -f</c>).</param>
public sealed record DevMember(string Name, string SshKeyPath);

/// <summary>
/// The <c>cli.json</c> a dev appliance (<c>keycustodyd dev --state DIR</c>) writes into its state directory: how
/// to reach it and, for the dev flows, where its generated officer keys and simulated button live. Relative paths
/// in the file are relative to the file's own directory.
/// </summary>
public sealed record DevStateFile
{
    /// <summary>The file name inside a state directory.</summary>
    public const string FileName = "cli.json";

    /// <summary>Where the daemon listens: <c>https://host:port</c> or <c>unix:/path</c>.</summary>
    public required string Address { get; init; }

    /// <summary>PEM CA certificate that issued the daemon's TLS certificate.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>PEM of the daemon's own TLS certificate, to pin it instead of a CA.</summary>
    public string? PinnedCertificatePath { get; init; }

    /// <summary>PEM client certificate for mTLS (the dev CI identity).</summary>
    public string? ClientCertificatePath { get; init; }

    /// <summary>PEM private key of the client certificate.</summary>
    public string? ClientKeyPath { get; init; }

    /// <summary>Unix socket of the simulated presence button.</summary>
    public string? ButtonSocketPath { get; init; }

    /// <summary>Dev officers and their SSH private keys.</summary>
    public IReadOnlyList<DevMember> Officers { get; init; } = [];

    /// <summary>Dev custodians and their SSH private keys.</summary>
    public IReadOnlyList<DevMember> Custodians { get; init; } = [];

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    /// <exception cref="CustodyException">InvalidArgument when the file is missing, not JSON, or has no address.</exception>
    public static DevStateFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument,
                $"cannot read the appliance connection file '{path}': {e.Message} (is a dev appliance running with this --state?)", e);
        }

        return Parse(text, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
    }

    /// <summary>Parses the file's text; <paramref name="baseDirectory"/> anchors relative paths.</summary>
    public static DevStateFile Parse(string json, string baseDirectory, string displayName = FileName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}' is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}' must hold a JSON object");
            }

            string address = String(root, "address", displayName)
                ?? throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}' has no \"address\"");
            return new DevStateFile
            {
                Address = address,
                CaCertificatePath = PathOf(root, "caCertificate", baseDirectory, displayName),
                PinnedCertificatePath = PathOf(root, "pinnedCertificate", baseDirectory, displayName),
                ClientCertificatePath = PathOf(root, "clientCertificate", baseDirectory, displayName),
                ClientKeyPath = PathOf(root, "clientKey", baseDirectory, displayName),
                ButtonSocketPath = PathOf(root, "buttonSocket", baseDirectory, displayName),
                Officers = Members(root, "officers", baseDirectory, displayName),
                Custodians = Members(root, "custodians", baseDirectory, displayName),
            };
        }
    }

    private static string? String(JsonElement element, string name, string displayName)
    {
        if (!element.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}': \"{name}\" must be a string");
    }

    private static string? PathOf(JsonElement element, string name, string baseDirectory, string displayName) =>
        String(element, name, displayName) is { Length: > 0 } value ? Path.GetFullPath(value, baseDirectory) : null;

    private static List<DevMember> Members(JsonElement root, string name, string baseDirectory, string displayName)
    {
        var members = new List<DevMember>();
        if (!root.TryGetProperty(name, out JsonElement array) || array.ValueKind == JsonValueKind.Null)
        {
            return members;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}': \"{name}\" must be an array");
        }

        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            string where = $"{name}[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}': \"{where}\" must be an object");
            }

            string memberName = String(item, "name", displayName)
                ?? throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}': \"{where}\" has no \"name\"");
            string key = PathOf(item, "sshKey", baseDirectory, displayName)
                ?? throw new CustodyException(CustodyStatus.InvalidArgument, $"'{displayName}': \"{where}\" has no \"sshKey\"");
            members.Add(new DevMember(memberName, key));
        }

        return members;
    }
}
