using Dataward.Domain.Requests;

namespace Dataward.Tests.Requests;

/// <summary>The rules for when a request's identity is proven (DSR008, DSR009) and how it is answered (DSR024).</summary>
public sealed class IdentityProofTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static ProofCheck Check(string kind, string outcome, DateTimeOffset at) => new(kind, outcome, at);

    [Fact]
    public void The_emailed_code_alone_proves_an_ordinary_request()
    {
        IdentityProof.Outstanding(false, null, false, []).ShouldBe([IdentityProof.AwaitingCode]);
        IdentityProof.Outstanding(true, null, false, []).ShouldBeEmpty();
        IdentityProof.Outstanding(false, null, false, [Check(IdentityProof.Identity, IdentityProof.Passed, Monday)]).ShouldBeEmpty("a staff check will do too");
    }

    [Fact]
    public void DSR008_once_more_proof_is_required_only_a_passing_check_recorded_since_verifies()
    {
        var required = Monday.AddDays(1);
        IdentityProof.Outstanding(true, required, false, []).ShouldBe([IdentityProof.AwaitingProof], "the code is not enough");
        IdentityProof.Outstanding(true, required, false, [Check(IdentityProof.Identity, IdentityProof.Passed, Monday)])
            .ShouldBe([IdentityProof.AwaitingProof], "a check from before the step-up is not the proof asked for");
        IdentityProof.Outstanding(true, required, false, [Check(IdentityProof.Identity, IdentityProof.Failed, required.AddHours(1))])
            .ShouldBe([IdentityProof.AwaitingProof], "a failed check proves nothing");
        IdentityProof.Outstanding(false, required, false, [Check(IdentityProof.Identity, IdentityProof.Passed, required.AddHours(1))]).ShouldBeEmpty();
    }

    [Fact]
    public void DSR009_a_request_made_by_an_agent_waits_for_their_authority_as_well_as_the_identity()
    {
        IdentityProof.Outstanding(false, null, true, []).ShouldBe([IdentityProof.AwaitingCode, IdentityProof.AwaitingAuthority]);
        IdentityProof.Outstanding(true, null, true, []).ShouldBe([IdentityProof.AwaitingAuthority]);
        IdentityProof.Outstanding(true, null, true, [Check(IdentityProof.Authority, IdentityProof.Failed, Monday)]).ShouldBe([IdentityProof.AwaitingAuthority]);
        IdentityProof.Outstanding(true, null, true, [Check(IdentityProof.Authority, IdentityProof.Passed, Monday)]).ShouldBeEmpty();
        IdentityProof.Outstanding(false, null, true, [Check(IdentityProof.Authority, IdentityProof.Passed, Monday)])
            .ShouldBe([IdentityProof.AwaitingCode], "authority to act is not proof of the person's identity");
    }

    [Theory]
    [InlineData("web", true, "email")]
    [InlineData("email", true, "email")]
    [InlineData("letter", true, "post")]
    [InlineData("phone", true, "phone")]
    [InlineData("in_person", false, "in_person")]
    [InlineData("other", true, "email")]
    [InlineData("other", false, "post")]
    public void DSR024_the_answer_goes_the_way_the_request_came(string channel, bool hasEmail, string reply) =>
        ReplyChannels.DefaultFor(channel, hasEmail).ShouldBe(reply);

    [Fact]
    public void DSR008_staff_can_take_a_verified_request_back_to_waiting_for_proof_but_not_a_closed_one()
    {
        RequestStates.CanMove(RequestStates.Verified, RequestStates.IdentityPending).ShouldBeTrue();
        RequestStates.CanMove(RequestStates.AwaitingApproval, RequestStates.IdentityPending).ShouldBeTrue();
        RequestStates.CanMove(RequestStates.Completed, RequestStates.IdentityPending).ShouldBeFalse();
        RequestStates.CanMove(RequestStates.InProgress, RequestStates.IdentityPending).ShouldBeFalse();
    }
}
