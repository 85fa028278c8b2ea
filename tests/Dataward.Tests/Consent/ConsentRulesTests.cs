using Dataward.Domain.Consent;

namespace Dataward.Tests.Consent;

public sealed class ConsentRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, false, "none", false)]
    [InlineData("given", true, "given", true)]
    [InlineData("withdrawn", true, "withdrawn", false)]
    [InlineData("withdrawn", false, "refused", false)]
    public void The_state_follows_the_latest_event(string? latest, bool everGiven, string state, bool allowed) =>
        ConsentRules.StateOf(latest, everGiven, Now.AddDays(-1), null, Now).ShouldBe((state, allowed));

    [Fact]
    public void Consent_older_than_the_purposes_refresh_period_has_expired_at_check_time()
    {
        ConsentRules.StateOf("given", true, Now.AddDays(-180), 180, Now).ShouldBe(("given", true));
        ConsentRules.StateOf("given", true, Now.AddDays(-180).AddSeconds(-1), 180, Now).ShouldBe(("expired", false));
    }

    [Theory]
    [InlineData("newsletter", true)]
    [InlineData("a1", true)]
    [InlineData("x", false)]
    [InlineData("News", false)]
    [InlineData("with space", false)]
    public void CNS002_purpose_keys_are_short_lower_case_words(string key, bool valid) => ConsentRules.IsPurposeKey(key).ShouldBe(valid);

    [Fact]
    public void E_mail_identifiers_are_compared_case_insensitively_and_customer_ids_exactly()
    {
        ConsentRules.NormaliseSubject("  Ana@Example.COM ").ShouldBe("ana@example.com");
        ConsentRules.NormaliseSubject(" CUST-42 ").ShouldBe("CUST-42");
    }
}
