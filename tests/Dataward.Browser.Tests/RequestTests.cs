using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>A data-subject request in a real browser: staff log a letter from a solicitor, ask for more proof than the
/// e-mailed code (DSR008), record what they checked and the solicitor's authority (DSR009), and the request goes to
/// the DPO with its timeline and every message the person was sent on its page.</summary>
public sealed class RequestTests(LiveServer server) : IClassFixture<LiveServer>
{
    private const string Password = "correct horse battery staple";
    private const string Person = "mo@example.org";

    [Fact]
    public async Task Staff_log_a_solicitors_letter_ask_for_more_proof_and_record_the_checks_before_it_goes_to_the_dpo()
    {
        await server.CreateUserAsync("clerk@example.org", "Staff", Password);
        await using var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        // CI machines are shared: allow a slow first render rather than fail on a busy core.
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await server.ExplainFailureAsync(page, "request-step-up", () => ScenarioAsync(page));
    }

    private async Task ScenarioAsync(IPage page)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail address").FillAsync("clerk@example.org");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("main", new() { HasText = "Signed in as clerk@example.org" }).WaitForAsync();

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Requests" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Log a request received by e-mail, phone or letter" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Log a request" }).WaitForAsync();
        await page.GetByLabel("What the person asks for").SelectOptionAsync("erasure");
        await page.GetByLabel("How it arrived").SelectOptionAsync("letter");
        await page.GetByLabel("The person's e-mail address").FillAsync(Person);
        await page.GetByLabel("What they asked, in their words").FillAsync("Please delete my client's account and everything you hold about her.");
        await page.GetByLabel("Or: more proof you need than the e-mailed code").FillAsync(
            "Your account holds payment details: please show photo ID at one of our branches or on a video call.");
        await page.GetByLabel("The agent's name").FillAsync("Nia Solicitor LLP");
        await page.GetByLabel("How to reach the agent").FillAsync("nia@solicitors.example");
        await page.GetByLabel("Who they are to the person").SelectOptionAsync("solicitor");
        var logged = DateTimeOffset.UtcNow;
        await page.GetByRole(AriaRole.Button, new() { Name = "Log the request" }).ClickAsync();

        await page.GetByText("Logged. The person has been sent an acknowledgement.").WaitForAsync();
        var heading = await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).TextContentAsync();
        heading!.ShouldStartWith("DSR-");
        var facts = page.Locator("dl.facts").First;
        (await facts.TextContentAsync())!.ShouldContain("waiting for identity proof");
        (await facts.TextContentAsync())!.ShouldContain("Nia Solicitor LLP, solicitor or legal representative (nia@solicitors.example)");
        (await facts.TextContentAsync())!.ShouldContain("post", Case.Sensitive, "a letter is answered by post (DSR024)");
        var waiting = page.Locator("ul.awaiting-proof li");
        (await waiting.AllTextContentsAsync()).ShouldBe([
            "the additional proof of identity staff asked for (DSR008)",
            "evidence of the agent's authority to act for the person (DSR009)",
        ]);
        // The person is told what is needed and why, by e-mail, and the page lists that message.
        var asked = await server.WaitForEmailAsync(Person, m => m.Subject?.Contains("we need more proof of your identity") == true, logged);
        asked.TextBody!.ShouldContain("please show photo ID at one of our branches");
        (await page.Locator("table.messages").TextContentAsync())!.ShouldContain("we need more proof of your identity");

        await page.GetByLabel("How you checked who the person is").SelectOptionAsync("photo_id");
        await page.GetByLabel("What you checked (describe it").FillAsync("Passport seen at the Leeds branch; photo and signature matched the account");
        await page.GetByLabel("Outcome of the identity check").SelectOptionAsync("passed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the identity check" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Identity check recorded." }).WaitForAsync();
        (await waiting.AllTextContentsAsync()).ShouldBe(["evidence of the agent's authority to act for the person (DSR009)"]);
        (await page.Locator("section[aria-labelledby=identity-title] table").TextContentAsync())!
            .ShouldContain("Passport seen at the Leeds branch; photo and signature matched the account");

        await page.GetByLabel("Evidence of authority").SelectOptionAsync("written_authorisation");
        await page.GetByLabel("What you saw").FillAsync("Letter of authority signed by the client, dated last week");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the authority" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "The agent's authority recorded." }).WaitForAsync();
        (await page.Locator("dl.facts").First.TextContentAsync())!.ShouldContain("awaiting DPO approval");
        (await waiting.CountAsync()).ShouldBe(0);
        var erasure = (await page.Locator("section[aria-labelledby=erasure-title]").TextContentAsync())!;
        erasure.ShouldContain("Waiting for the DPO to review this plan");
        erasure.ShouldContain("No database is connected", Case.Sensitive, "the plan preview says why it cannot show what would be erased");
        var timeline = await page.Locator("ol.timeline li").AllTextContentsAsync();
        timeline.ShouldContain(t => t.Contains("Identity checked by staff: photo ID seen"));
        timeline.ShouldContain(t => t.Contains("The agent's authority checked by staff: written authorisation signed by the person; passed."));
        timeline.ShouldContain(t => t.Contains("Identity proven"));
        timeline.ShouldAllBe(t => !t.Contains("Leeds branch"), "what was checked stays with the check, not in the timeline");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "request-step-up.png"), FullPage = true });
    }
}
