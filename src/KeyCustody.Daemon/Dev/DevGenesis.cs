// SPDX-License-Identifier: Apache-2.0
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using KeyCustody.Core;

namespace KeyCustody.Daemon.Dev;

/// <summary>An officer in a development genesis: SSH keys are generated under DIR/officers unless it borrows another's key.</summary>
public sealed class DevGenesisOfficer
{
    /// <summary>The officer's enrolled name (also the key file name).</summary>
    public required string Name { get; init; }

    /// <summary>Officer groups (the dev keys' policies use "release-officers").</summary>
    public string[] Groups { get; init; } = [];

    /// <summary>CI identities (certificate subject or SAN) this officer owns: requests from them the officer can never approve.</summary>
    public string[] Identities { get; init; } = [];

    /// <summary>Enrol this officer with another officer's key instead of a new one (tests the "shared key counts once" rule).</summary>
    public string? KeyOf { get; init; }
}

/// <summary>A signing key in a development genesis.</summary>
public sealed class DevGenesisKey
{
    /// <summary>The key name.</summary>
    public required string Name { get; init; }

    /// <summary>"ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072" or "rsa-4096".</summary>
    public required string Algorithm { get; init; }

    /// <summary>The KeyCustody.Governance policy document; "version" and "key" are filled in when absent.</summary>
    public required JsonObject Policy { get; init; }
}

/// <summary>
/// The development genesis: who the officers and custodians are and which keys exist with which policies.
/// <c>keycustodyd dev</c> uses <see cref="Default"/> unless <c>--genesis FILE</c> names another document; it is
/// applied once, on the first start of a state directory. Production genesis is a custodian ceremony.
/// </summary>
public sealed class DevGenesis
{
    /// <summary>The group the dev release key's policy draws approvals from.</summary>
    public const string ReleaseGroup = "release-officers";

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        RespectNullableAnnotations = true,
        WriteIndented = true,
    };

    /// <summary>The officers.</summary>
    public required DevGenesisOfficer[] Officers { get; init; }

    /// <summary>The custodians' names.</summary>
    public required string[] Custodians { get; init; }

    /// <summary>The keys.</summary>
    public required DevGenesisKey[] Keys { get; init; }

    /// <summary>
    /// Three release officers, two custodians, <c>dev-low</c> (ECDSA P-256, low risk: no quorum, no presence) and
    /// <c>dev-release</c> (ECDSA P-256, high risk: 2 of 3 release officers, then a button press). Both allow only the
    /// dev CI client certificate.
    /// </summary>
    public static DevGenesis Default => new()
    {
        Officers = [.. DevIdentities.OfficerNames.Select(n => new DevGenesisOfficer { Name = n, Groups = [ReleaseGroup] })],
        Custodians = [.. DevIdentities.CustodianNames],
        Keys =
        [
            new DevGenesisKey
            {
                Name = "dev-low",
                Algorithm = "ecdsa-p256",
                Policy = new JsonObject
                {
                    ["riskTier"] = "low",
                    ["allowedCallers"] = new JsonArray(new JsonObject { ["san"] = "URI:" + DevTls.CiClientUri }),
                    ["allowedDigests"] = new JsonArray("sha256", "sha384", "sha512"),
                },
            },
            new DevGenesisKey
            {
                Name = "dev-release",
                Algorithm = "ecdsa-p256",
                Policy = new JsonObject
                {
                    ["riskTier"] = "high",
                    ["allowedCallers"] = new JsonArray(new JsonObject { ["san"] = "URI:" + DevTls.CiClientUri }),
                    ["allowedDigests"] = new JsonArray("sha256", "sha384", "sha512"),
                    ["approvals"] = new JsonObject { ["required"] = 2, ["group"] = ReleaseGroup, ["validity"] = "1h" },
                    ["presence"] = new JsonObject { ["required"] = true, ["window"] = "60s" },
                    ["requestExpiry"] = "24h",
                },
            },
        ],
    };

    /// <summary>Reads a genesis document; InvalidArgument naming the bad field.</summary>
    public static DevGenesis Load(string path)
    {
        try
        {
            DevGenesis genesis = JsonSerializer.Deserialize<DevGenesis>(File.ReadAllBytes(path), s_json)
                ?? throw new CustodyException(CustodyStatus.InvalidArgument, $"{path}: the genesis document is null.");
            genesis.Validate(path);
            return genesis;
        }
        catch (JsonException ex)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{path}: {ex.Path}: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw new CustodyException(CustodyStatus.InvalidArgument, $"{path}: cannot read the genesis document ({ex.Message}).");
        }
    }

    /// <summary>Serialises the document (for tests that write one).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    private void Validate(string path)
    {
        foreach (DevGenesisOfficer officer in Officers)
        {
            if (officer.KeyOf is { } other && !Officers.Any(o => o.Name == other && o.KeyOf is null))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument,
                    $"{path}: officer '{officer.Name}' borrows the key of '{other}', which is not an officer with its own key.");
            }
        }

        foreach (DevGenesisKey key in Keys)
        {
            if (!KeyName.TryParse(key.Name, out _) || !Algorithms.TryParseKey(key.Algorithm, out _))
            {
                throw new CustodyException(CustodyStatus.InvalidArgument, $"{path}: key '{key.Name}' ({key.Algorithm}) is not a valid name and algorithm.");
            }
        }
    }
}
