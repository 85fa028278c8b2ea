using Dataward.Domain.Consent;
using Dataward.Domain.Portal;
using Dataward.Notices;

namespace Dataward.Tests.Portal;

/// <summary>The privacy centre's rules that need no database: the GPC decision, code input, safe notice Markdown.</summary>
public sealed class PortalRulesTests
{
    [Theory]
    [InlineData(true, ConsentStates.Given, false, true)]
    [InlineData(true, ConsentStates.RenewalRequired, false, true)]
    [InlineData(true, ConsentStates.Given, true, false)]
    [InlineData(false, ConsentStates.Given, false, false)]
    [InlineData(true, ConsentStates.Withdrawn, false, false)]
    [InlineData(true, ConsentStates.None, false, false)]
    [InlineData(true, ConsentStates.PendingParent, false, false)]
    public void CNS017_gpc_withdraws_a_counting_sale_or_sharing_consent_only_the_first_time(bool saleOrSharing, string state, bool actedBefore, bool withdraws) =>
        GlobalPrivacyControl.ShouldWithdraw(saleOrSharing, state, actedBefore).ShouldBe(withdraws);

    [Theory]
    [InlineData("1", true)]
    [InlineData(" 1 ", true)]
    [InlineData("0", false)]
    [InlineData("true", false)]
    [InlineData(null, false)]
    public void CNS017_only_sec_gpc_1_is_a_signal(string? header, bool signal) => GlobalPrivacyControl.IsSignal(header).ShouldBe(signal);

    [Theory]
    [InlineData("123456", "123456", true)]
    [InlineData(" 123 456 ", "123456", true)]
    [InlineData("123-456", "123456", true)]
    [InlineData("12345", "12345", false)]
    [InlineData("12345a", "12345a", false)]
    [InlineData("１２３４５６", "１２３４５６", false)]
    public void CNS019_codes_are_six_ascii_digits_as_typed_with_spaces(string typed, string normalised, bool wellFormed)
    {
        OneTimeCodes.Normalise(typed).ShouldBe(normalised);
        OneTimeCodes.IsWellFormed(OneTimeCodes.Normalise(typed)).ShouldBe(wellFormed);
    }

    [Fact]
    public void Notice_markdown_shows_raw_html_as_text_and_keeps_only_safe_links()
    {
        var html = NoticeMarkdown.ToHtml("""
            # Title
            <img src=x onerror=alert(1)> <script>alert(1)</script>
            [a](javascript:alert(1)) [b](JAVA&#9;SCRIPT:alert(1)) [c](data:text/html,x) [d](https://example.org) [e](/privacy) [f](mailto:dpo@example.org)
            <javascript:alert(1)>
            """);
        html.ShouldContain("<h2");
        html.ShouldNotContain("<h1");
        html.ShouldNotContain("<img");
        html.ShouldNotContain("<script");
        html.ShouldNotContain("href=\"javascript", Case.Insensitive);
        html.ShouldNotContain("href=\"data:");
        html.ShouldContain("href=\"https://example.org\"");
        html.ShouldContain("href=\"/privacy\"");
        html.ShouldContain("href=\"mailto:dpo@example.org\"");
    }
}
