// SPDX-License-Identifier: Apache-2.0
using KeyCustody.Core;
using KeyCustody.Governance.Ceremonies;
using Xunit;

namespace KeyCustody.Governance.Tests.Ceremonies;

public sealed class EndorsementProcessorTests(SshKeygen keys) : IClassFixture<SshKeygen>
{
    private readonly FakeTimeProvider _time = new();

    // dave and erin are custodians; frank holds dave's second key; alice is an officer only.
    private Roster Roster() => new(
        [new Officer("alice", [keys["alice"]], ["release-officers"])],
        [new Custodian("dave", [keys["dave"], keys["frank"]]), new Custodian("erin", [keys["erin"]]), new Custodian("carol", [keys["carol"]])]);

    private CeremonyProposal Propose(int required = 2, string id = "cer-1") =>
        new(id, CeremonyKind.RetireKey, "{\"key\":\"release\"}", StatementText.NewNonce(), _time.GetUtcNow(), _time.GetUtcNow().AddHours(1), required, false);

    private async Task<string> SignAsync(string who, CeremonyProposal proposal, string ns = "keycustody-ceremony") =>
        await keys.SignAsync(who, proposal.Statement.ToBytes(), ns);

    private async Task<CeremonyEndorsement> EndorseAsync(EndorsementProcessor processor, CeremonyProposal proposal, string who)
    {
        string signature = await SignAsync(who, proposal);
        return processor.Endorse(proposal, Roster(), proposal.Statement.ToBytes(), signature);
    }

    [Fact]
    public async Task Endorse_TwoDistinctCustodians_QuorumReached()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        CeremonyProposal proposal = Propose();

        // Act
        await EndorseAsync(processor, proposal, "dave");
        bool afterOne = proposal.QuorumReached;
        CeremonyEndorsement second = await EndorseAsync(processor, proposal, "erin");

        // Assert
        Assert.False(afterOne);
        Assert.True(proposal.QuorumReached);
        Assert.Equal("erin", second.Custodian);
        Assert.Equal(keys["erin"].Fingerprint, second.KeyFingerprint);
        Assert.Equal(CeremonyState.AwaitingEndorsements, proposal.State);
    }

    [Fact]
    public async Task Endorse_SameCustodianWithSecondKey_AlreadyExists()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        CeremonyProposal proposal = Propose();
        await EndorseAsync(processor, proposal, "dave");
        string second = await SignAsync("frank", proposal);

        // Act
        var ex = Assert.Throws<CustodyException>(() => processor.Endorse(proposal, Roster(), proposal.Statement.ToBytes(), second));

        // Assert
        Assert.Equal(CustodyStatus.AlreadyExists, ex.Status);
        Assert.Contains("dave has already endorsed", ex.Message);
        Assert.Single(proposal.Endorsements);
    }

    [Fact]
    public async Task Endorse_Officer_PermissionDenied()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        CeremonyProposal proposal = Propose();
        string signature = await SignAsync("alice", proposal);

        // Act
        var ex = Assert.Throws<CustodyException>(() => processor.Endorse(proposal, Roster(), proposal.Statement.ToBytes(), signature));

        // Assert
        Assert.Equal(CustodyStatus.PermissionDenied, ex.Status);
        Assert.Empty(proposal.Endorsements);
    }

    [Fact]
    public async Task Endorse_ApprovalNamespace_Unauthenticated()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        CeremonyProposal proposal = Propose();
        string signature = await SignAsync("dave", proposal, "keycustody-approval");

        // Act
        var ex = Assert.Throws<CustodyException>(() => processor.Endorse(proposal, Roster(), proposal.Statement.ToBytes(), signature));

        // Assert
        Assert.Equal(CustodyStatus.Unauthenticated, ex.Status);
    }

    [Fact]
    public async Task Endorse_AfterExpiry_ExpiredAndStateExpired()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        CeremonyProposal proposal = Propose();
        string signature = await SignAsync("dave", proposal);
        _time.Advance(TimeSpan.FromHours(1));

        // Act
        var ex = Assert.Throws<CustodyException>(() => processor.Endorse(proposal, Roster(), proposal.Statement.ToBytes(), signature));

        // Assert
        Assert.Equal(CustodyStatus.Expired, ex.Status);
        Assert.Equal(CeremonyState.Expired, proposal.State);
        Assert.Contains("0 of 2", proposal.StateReason);
    }

    [Fact]
    public async Task Endorse_OtherCeremonysStatement_InvalidArgument()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        CeremonyProposal proposal = Propose();
        CeremonyProposal other = Propose(id: "cer-2");
        string signature = await SignAsync("dave", other);

        // Act
        var ex = Assert.Throws<CustodyException>(() => processor.Endorse(proposal, Roster(), other.Statement.ToBytes(), signature));

        // Assert
        Assert.Equal(CustodyStatus.InvalidArgument, ex.Status);
        Assert.Contains("statement of ceremony cer-2", ex.Message);
    }

    [Fact]
    public async Task Endorse_PresenceRequired_QuorumMovesToAwaitingPresence()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        var proposal = new CeremonyProposal("cer-3", CeremonyKind.RevokeKey, "{\"key\":\"release\"}", StatementText.NewNonce(), _time.GetUtcNow(),
            _time.GetUtcNow().AddHours(1), 2, presenceRequired: true);
        await EndorseAsync(processor, proposal, "dave");

        // Act
        await EndorseAsync(processor, proposal, "carol");
        var ex = Assert.Throws<CustodyException>(() => processor.Endorse(proposal, Roster(), proposal.Statement.ToBytes(), "x"));

        // Assert
        Assert.Equal(CeremonyState.AwaitingPresence, proposal.State);
        Assert.Equal(CustodyStatus.WrongState, ex.Status);
    }

    [Fact]
    public async Task ToJson_RoundTrip_KeepsEveryField()
    {
        // Arrange
        var processor = new EndorsementProcessor(_time);
        CeremonyProposal proposal = Propose(3);
        await EndorseAsync(processor, proposal, "erin");

        // Act
        CeremonyProposal back = CeremonyProposal.FromJson(proposal.ToJson());

        // Assert
        Assert.Equal(proposal.Statement.ToBytes(), back.Statement.ToBytes());
        Assert.Equal(proposal.Endorsements, back.Endorsements);
        Assert.Equal(3, back.EndorsementsRequired);
        Assert.Equal(CeremonyKind.RetireKey, back.Kind);
        Assert.Equal(proposal.CreatedAt, back.CreatedAt);
    }

    [Theory]
    [InlineData(1, 3, false)]
    [InlineData(2, 3, true)]
    [InlineData(3, 3, true)]
    [InlineData(4, 3, false)]
    [InlineData(2, 1, false)]
    public void Validate_QuorumRange_OnlyTwoToN(int quorum, int custodians, bool valid)
    {
        // Arrange
        void Act() => CustodianQuorum.Validate(quorum, custodians);

        // Act
        CustodyException? ex = Record.Exception(Act) as CustodyException;

        // Assert
        Assert.Equal(valid, ex is null);
        Assert.True(valid || ex!.Status == CustodyStatus.InvalidArgument);
    }
}
