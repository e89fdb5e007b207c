// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyCustody.Daemon.Dev;

/// <summary>
/// <c>DIR/dev.json</c>: what the development appliance must keep stable between runs so that its configuration
/// file, and with it the daemon's measurement, stays the same — the ports it chose once — and the build hash the
/// HSM PIN was last sealed under (a rebuilt daemon re-seals in development; see the dev provisioner).
/// </summary>
public sealed class DevStateFile
{
    /// <summary>The file name under the state directory.</summary>
    public const string FileName = "dev.json";

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The gRPC TLS port on 127.0.0.1.</summary>
    public int GrpcPort { get; set; }

    /// <summary>The swtpm command port (control = +1).</summary>
    public int SwtpmPort { get; set; }

    /// <summary>Hex SHA-256 of the daemon build the PIN was last sealed under; null before the first seal.</summary>
    public string? SealedBuildSha256 { get; set; }

    /// <summary>Reads the file, or returns null when it does not exist.</summary>
    public static DevStateFile? Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        return File.Exists(path) ? JsonSerializer.Deserialize<DevStateFile>(File.ReadAllBytes(path), s_json) : null;
    }

    /// <summary>Writes the file atomically.</summary>
    public void Save(string directory)
    {
        string path = Path.Combine(directory, FileName);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(this, s_json));
        File.Move(temp, path, overwrite: true);
    }
}
