// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Governance.Tests;

public sealed class RosterTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    private string RosterJson(string bobKey) => $$"""
        {
          "version": 4,
          "officers": [
            { "name": "alice", "keys": ["{{keys["alice"].ToAuthorizedKeysLine()}}"], "groups": ["release-officers", "ops"], "identities": ["CN=alice-ci"] },
            { "name": "bob", "keys": ["{{bobKey}}"], "groups": ["release-officers"] }
          ],
          "custodians": [
            { "name": "carol", "keys": ["{{keys["carol"].ToAuthorizedKeysLine()}}"] }
          ]
        }
        """;

    [Fact]
    public void Parse_ValidDocument_LooksUpByKeyNameAndGroup()
    {
        // Act
        Roster roster = Roster.Parse(RosterJson(keys["bob"].ToAuthorizedKeysLine()));

        // Assert
        Assert.Equal(4, roster.Version);
        Assert.Equal(["alice", "bob"], roster.Officers.Select(o => o.Name));
        Assert.Equal("alice", Assert.Single(roster.FindOfficersByKey(keys["alice"])).Name);
        Assert.Empty(roster.FindOfficersByKey(keys["carol"]));
        Assert.Equal("carol", Assert.Single(roster.FindCustodiansByKey(keys["carol"])).Name);
        Assert.Equal(["alice", "bob"], roster.OfficersInGroup("release-officers").Select(o => o.Name));
        Assert.Equal(["ops", "release-officers"], roster.FindOfficer("alice")!.Groups);
        Assert.Empty(roster.SharedKeys);
    }

    [Fact]
    public void SharedKeys_TwoOfficersOneKey_Detected()
    {
        // Act: bob enrolled with alice's key.
        Roster roster = Roster.Parse(RosterJson(keys["alice"].ToAuthorizedKeysLine()));

        // Assert
        SharedKey shared = Assert.Single(roster.SharedKeys);
        Assert.Equal(keys["alice"].Fingerprint, shared.Fingerprint);
        Assert.Equal(["alice", "bob"], shared.Officers);
        Assert.Empty(shared.Custodians);
        Assert.Equal(2, roster.FindOfficersByKey(keys["alice"]).Count);
        Assert.Equal(1, roster.DistinctApprovers("release-officers"));
        Assert.Contains("is enrolled for officers alice, bob", shared.ToString());
    }

    [Fact]
    public void SharedKeys_OfficerAndCustodianOneKey_Detected()
    {
        // Act
        var roster = new Roster([new Officer("alice", [keys["alice"]])], [new Custodian("carol", [keys["alice"]])]);

        // Assert
        SharedKey shared = Assert.Single(roster.SharedKeys);
        Assert.Equal(["alice"], shared.Officers);
        Assert.Equal(["carol"], shared.Custodians);
    }

    [Fact]
    public void DistinctApprovers_ExcludesRequesterOwner()
    {
        // Arrange
        Roster roster = Roster.Parse(RosterJson(keys["bob"].ToAuthorizedKeysLine()));

        // Act
        int withoutRequester = roster.DistinctApprovers("release-officers");
        int aliceRequesting = roster.DistinctApprovers("release-officers", new CallerIdentity("CN=alice-ci"));

        // Assert
        Assert.Equal(2, withoutRequester);
        Assert.Equal(1, aliceRequesting);
    }

    [Fact]
    public void Owns_NameOrListedIdentity_True()
    {
        // Arrange
        Officer alice = Roster.Parse(RosterJson(keys["bob"].ToAuthorizedKeysLine())).FindOfficer("alice")!;

        // Act & Assert
        Assert.True(alice.Owns(new CallerIdentity("alice")));
        Assert.True(alice.Owns(new CallerIdentity("CN=alice-ci")));
        Assert.True(alice.Owns(new CallerIdentity("CN=runner", ["CN=alice-ci"])));
        Assert.False(alice.Owns(new CallerIdentity("CN=ci-release")));
        Assert.False(alice.Owns(new CallerIdentity("CN=alice-ci2")));
    }

    [Fact]
    public void ToCanonicalJson_ParsedBack_ByteIdentical()
    {
        // Arrange
        Roster roster = Roster.Parse(RosterJson(keys["bob"].ToAuthorizedKeysLine()));

        // Act
        string canonical = roster.ToCanonicalJson();
        Roster again = Roster.Parse(canonical);

        // Assert
        Assert.Equal(canonical, again.ToCanonicalJson());
        Assert.Equal(roster.Officers, again.Officers);
        Assert.Equal(roster.Custodians, again.Custodians);
        Assert.StartsWith("{\"custodians\":[{\"keys\":[\"ssh-ed25519 ", canonical);
    }

    [Fact]
    public void TryParse_SeveralErrors_CollectedWithPaths()
    {
        // Arrange
        string json = $$"""
            {
              "version": 0,
              "officers": [
                { "name": "Alice", "keys": ["ssh-rsa AAAA"], "groups": ["Bad Group"] },
                { "name": "bob", "keys": [] },
                { "name": "bob", "keys": ["{{keys["bob"].ToAuthorizedKeysLine()}}"], "team": "x" }
              ],
              "custodians": [ { "name": "carol", "keys": ["{{keys["carol"].ToAuthorizedKeysLine()}}"], "groups": [] } ]
            }
            """;

        // Act
        bool parsed = Roster.TryParse(json, out Roster? roster, out IReadOnlyList<ValidationError> errors);

        // Assert
        Assert.False(parsed);
        Assert.Null(roster);
        Assert.Equal(
            [
                "roster.officers[2].team: unknown field (expected one of: name, keys, groups, identities)",
                "roster.custodians[0].groups: unknown field (expected one of: name, keys)",
                "roster.version: 0 is out of range (1 to 9223372036854775807)",
                "roster.officers[0].name: \"Alice\" is not a valid name (use 1-64 characters a-z, 0-9, '.', '_', '-' or '@', starting with a letter or digit)",
                "roster.officers[0].keys[0]: key type 'ssh-rsa' is not supported (use ssh-ed25519, ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com or sk-ecdsa-sha2-nistp256@openssh.com)",
                "roster.officers[0].groups[0]: \"Bad Group\" is not a valid group name (use 1-64 characters a-z, 0-9, '.', '_', '-' or '@', starting with a letter or digit)",
                "roster.officers[1].keys: at least one SSH public key is required",
                "roster.officers[2].name: \"bob\" is enrolled twice",
            ],
            errors.Select(e => e.ToString()).OrderBy(e => e.Contains("unknown field", StringComparison.Ordinal) ? 0 : 1));
    }

    [Fact]
    public void Constructor_DuplicateOfficer_InvalidArgument()
    {
        // Act
        var e = Assert.Throws<CustodyException>(() => new Roster(
            [new Officer("alice", [keys["alice"]]), new Officer("alice", [keys["bob"]])], []));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Equal("Officer 'alice' is enrolled twice.", e.Message);
    }

    [Fact]
    public void Parse_Invalid_ThrowsValidationExceptionListingErrors()
    {
        // Act
        var e = Assert.Throws<DocumentValidationException>(() => Roster.Parse("{\"officers\": 3}"));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, e.Status);
        Assert.Equal(2, e.Errors.Count);
        Assert.Equal("The roster is invalid (2 errors):\n  roster.version: required\n  roster.officers: expected an array, got a number", e.Message);
    }
}
