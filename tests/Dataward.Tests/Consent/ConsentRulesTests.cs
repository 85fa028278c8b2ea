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
        ConsentRules.StateOf(latest is null ? null : new ConsentFacts(latest, everGiven, Now.AddDays(-1)), null, Now).ShouldBe((state, allowed));

    [Fact]
    public void Consent_older_than_the_purposes_refresh_period_has_expired_at_check_time()
    {
        ConsentRules.StateOf(new ConsentFacts("given", true, Now.AddDays(-180)), 180, Now).ShouldBe(("given", true));
        ConsentRules.StateOf(new ConsentFacts("given", true, Now.AddDays(-180).AddSeconds(-1)), 180, Now).ShouldBe(("expired", false));
    }

    [Fact]
    public void CNS016_a_childs_consent_is_pending_until_a_parent_confirms_and_asks_for_renewal_at_the_threshold_age()
    {
        ConsentRules.StateOf(new ConsentFacts("given", true, Now, PendingParent: true), null, Now).ShouldBe(("pending-parent", false));
        var confirmed = new ConsentFacts("given", true, Now.AddYears(-3), RefreshDueAt: Now.AddDays(1));
        ConsentRules.StateOf(confirmed, null, Now).ShouldBe(("given", true));
        ConsentRules.StateOf(confirmed, null, Now.AddDays(1)).ShouldBe(("renewal-required", true));
    }

    [Fact]
    public void CNS018_consent_under_a_substantially_changed_notice_needs_renewal_and_lapses_at_the_renew_by_date()
    {
        ConsentRules.StateOf(new ConsentFacts("given", true, Now.AddDays(-10), RenewalRequired: true), null, Now).ShouldBe(("renewal-required", true));
        var withDate = new ConsentFacts("given", true, Now.AddDays(-10), RenewalRequired: true, RenewBy: Now.AddDays(30));
        ConsentRules.StateOf(withDate, null, Now).ShouldBe(("renewal-required", true));
        ConsentRules.StateOf(withDate, null, Now.AddDays(31)).ShouldBe(("expired", false));
    }

    [Theory]
    [InlineData(new[] { "UK" }, 13)]
    [InlineData(new[] { "FR" }, 15)]
    [InlineData(new[] { "UK", "DE" }, 16)]
    [InlineData(new string[0], 16)]
    public void CNS016_the_age_of_digital_consent_follows_the_strictest_jurisdiction(string[] jurisdictions, int age) =>
        ConsentRules.DigitalConsentAge(jurisdictions).ShouldBe(age);

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
