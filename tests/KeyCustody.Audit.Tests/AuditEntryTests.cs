// SPDX-License-Identifier: Apache-2.0
using System.Text;
using System.Text.Json;
using KeyCustody.Audit;
using KeyCustody.Core;
using Xunit;

namespace KeyCustody.Audit.Tests;

public sealed class AuditEntryTests
{
    private static readonly DateTimeOffset s_time = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(2));

    [Fact]
    public void ToUtf8_SigningRequest_HasEnvelopeThenFieldsInOrder()
    {
        // Arrange
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.SigningRequested, s_time)
            .Add("request_id", "req-1")
            .Add("key", KeyName.Parse("release-2025"))
            .Add("digest_alg", "sha256")
            .AddHex("digest", [0xde, 0xad, 0xbe, 0xef])
            .Add("policy_version", 3)
            .Add("presence_required", true);

        // Act
        string json = Encoding.UTF8.GetString(entry.ToUtf8());

        // Assert: byte-exact, because these bytes are what the log hashes.
        Assert.Equal(
            "{\"v\":1,\"type\":\"signing.requested\",\"time\":\"2025-03-04T03:06:07.890Z\",\"request_id\":\"req-1\",\"key\":\"release-2025\"," +
            "\"digest_alg\":\"sha256\",\"digest\":\"deadbeef\",\"policy_version\":3,\"presence_required\":true}",
            json);
    }

    [Fact]
    public void ToUtf8_NestedApprovalsAndBase64_AreReadable()
    {
        // Arrange
        string[] officers = ["alice", "bob"];
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.SigningSigned, s_time)
            .AddBase64("signature", [0xfb, 0xff, 0x3e])
            .AddObjects("approvals", officers, (fields, officer) => fields.Add("officer", officer).Add("statement_sha256", "00"))
            .AddObject("artifact", fields => fields.Add("name", "app.tar.gz").Add("labels", ["a+b", "é"]))
            .Add("status", CustodyStatus.Ok)
            .Add("note", (string?)null);

        // Act
        byte[] bytes = entry.ToUtf8();
        using JsonDocument parsed = JsonDocument.Parse(bytes);

        // Assert
        string json = Encoding.UTF8.GetString(bytes);
        Assert.Contains("\"signature\":\"+/8+\"", json, StringComparison.Ordinal);
        Assert.Contains("\"labels\":[\"a+b\",\"é\"]", json, StringComparison.Ordinal);
        Assert.Equal("bob", parsed.RootElement.GetProperty("approvals")[1].GetProperty("officer").GetString());
        Assert.Equal("Ok", parsed.RootElement.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, parsed.RootElement.GetProperty("note").ValueKind);
    }

    [Theory]
    [InlineData("v")]
    [InlineData("type")]
    [InlineData("time")]
    public void Add_ReservedName_Throws(string name)
    {
        // Arrange
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.ApplianceStarted, s_time);

        // Act / Assert
        Assert.Throws<ArgumentException>(() => entry.Add(name, "x"));
    }

    [Theory]
    [InlineData("Key")]
    [InlineData("1key")]
    [InlineData("key-name")]
    [InlineData("")]
    public void Add_InvalidName_Throws(string name)
    {
        // Arrange
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.ApplianceStarted, s_time);

        // Act / Assert
        Assert.Throws<ArgumentException>(() => entry.Add(name, "x"));
    }

    [Fact]
    public void Add_DuplicateName_Throws()
    {
        // Arrange
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.ApplianceStarted, s_time).Add("version", "1");

        // Act / Assert
        Assert.Throws<ArgumentException>(() => entry.Add("version", "2"));
    }

    [Theory]
    [InlineData("signing")]
    [InlineData("Signing.Signed")]
    [InlineData("signing..signed")]
    [InlineData("signing.signed.")]
    public void Create_InvalidType_Throws(string type)
    {
        // Act / Assert
        Assert.Throws<ArgumentException>(() => AuditEntry.Create(type, s_time));
    }

    [Fact]
    public void ToUtf8_TooLarge_ThrowsMessageTooLarge()
    {
        // Arrange
        AuditEntry entry = AuditEntry.Create(AuditEventTypes.SigningRequested, s_time).Add("blob", new string('x', AuditEntry.MaxSize));

        // Act
        var ex = Assert.Throws<CustodyException>(entry.ToUtf8);

        // Assert
        Assert.Equal(CustodyStatus.MessageTooLarge, ex.Status);
    }

    [Fact]
    public void TryReadEnvelope_BuiltEntry_ReturnsVersionTypeTime()
    {
        // Arrange
        byte[] bytes = AuditEntry.Create(AuditEventTypes.PresenceConfirmed, s_time).Add("request_id", "r").ToUtf8();

        // Act
        bool ok = AuditEntry.TryReadEnvelope(bytes, out int version, out string type, out string time);

        // Assert
        Assert.True(ok);
        Assert.Equal(1, version);
        Assert.Equal("signing.presence_confirmed", type);
        Assert.Equal("2025-03-04T03:06:07.890Z", time);
        Assert.False(AuditEntry.TryReadEnvelope("not json"u8, out _, out _, out _));
        Assert.False(AuditEntry.TryReadEnvelope("{\"type\":\"x.y\"}"u8, out _, out _, out _));
    }

    [Fact]
    public void EventTypes_AllConstants_AreValidAndDistinct()
    {
        // Arrange
        string[] types = [.. typeof(AuditEventTypes).GetFields()
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)];

        // Act / Assert
        Assert.True(types.Length >= 20);
        Assert.All(types, t => Assert.True(AuditEventTypes.IsValid(t), t));
        Assert.Equal(types.Length, types.Distinct().Count());
    }
}
