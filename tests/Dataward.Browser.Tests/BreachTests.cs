using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>A breach in a real browser: a member of staff reports it, the DPO follows it to closure.</summary>
public sealed class BreachTests(LiveServer server) : IClassFixture<LiveServer>
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Staff_report_a_breach_and_the_dpo_triages_assesses_decides_and_closes_it()
    {
        await server.CreateUserAsync("staff@example.org", "Staff", Password);
        await server.CreateUserAsync("dpo@example.org", "DataProtectionOfficer", Password);
        await using var staffContext = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        staffContext.SetDefaultTimeout(60_000);
        var staff = await staffContext.NewPageAsync();
        await server.ExplainFailureAsync(staff, "breach-report", () => ReportAsync(staff));

        await using var dpoContext = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        dpoContext.SetDefaultTimeout(60_000);
        var dpo = await dpoContext.NewPageAsync();
        await server.ExplainFailureAsync(dpo, "breach-handling", () => HandleAsync(dpo));
    }

    private static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("main", new() { HasText = $"Signed in as {email}" }).WaitForAsync();
    }

    private async Task ReportAsync(IPage page)
    {
        await SignInAsync(page, "staff@example.org");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Breaches" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Report a suspected breach" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Report a suspected breach" }).WaitForAsync();
        await page.GetByLabel("In a few words").FillAsync("Payroll file e-mailed to the wrong address");
        await page.GetByLabel("What happened").FillAsync("The monthly payroll export was sent to a former contractor's personal address.");
        var now = DateTime.UtcNow;
        await page.GetByLabel("When it happened (UTC; leave blank if not known)").FillAsync(now.AddHours(-5).ToString("yyyy-MM-ddTHH:mm"));
        await page.GetByLabel("When it was discovered (UTC)").FillAsync(now.AddHours(-1).ToString("yyyy-MM-ddTHH:mm"));
        await page.GetByLabel("Systems involved (one per line)").FillAsync("Payroll\nE-mail");
        await page.GetByLabel("Kinds of personal data (data categories, one per line, e.g. user.contact.email)").FillAsync("user.name\nuser.financial");
        await page.GetByLabel("Roughly how many people").FillAsync("40");
        await page.GetByLabel("Roughly how many records").FillAsync("40");
        await page.GetByLabel("What has been done so far to contain it").FillAsync("Asked the recipient to delete it.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Report the breach" }).ClickAsync();
        await page.GetByText("Reported as BRE-").WaitForAsync();
        await page.GetByText("The data protection officer has been told.").WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "breach-reported.png"), FullPage = true });
        (await page.GetByRole(AriaRole.Button, new() { Name = "Record triage" }).CountAsync()).ShouldBe(0, "staff report; the DPO handles");
    }

    private async Task HandleAsync(IPage page)
    {
        await SignInAsync(page, "dpo@example.org");
        await page.GotoAsync("/breaches");
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^BRE-") }).First.ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Triage" }).WaitForAsync();

        await page.GetByLabel("The organisation became aware at (UTC)").FillAsync(DateTime.UtcNow.AddMinutes(-30).ToString("yyyy-MM-ddTHH:mm"));
        await page.GetByLabel("Reasons", new() { Exact = true }).FillAsync("Salaries and names left our control.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record triage" }).ClickAsync();
        await page.GetByText("Triage recorded.").WaitForAsync();
        (await page.Locator("dl.facts").TextContentAsync())!.ShouldContain("h left");

        await page.GetByLabel("Data processing context: the most critical data").SelectOptionAsync("3");
        await page.GetByLabel("Ease of identification").SelectOptionAsync("1");
        await page.GetByLabel("Loss of confidentiality").SelectOptionAsync("0.25");
        await page.GetByLabel("Reasons for the risk level").FillAsync("Financial data of 40 named staff, one known recipient.");
        await page.GetByLabel("Likely consequences for people").FillAsync("Embarrassment; possible fraud attempts.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record assessment" }).ClickAsync();
        await page.GetByText("Assessment recorded.").WaitForAsync();
        (await page.Locator("dl.facts").TextContentAsync())!.ShouldContain("highRisk");

        await page.GetByLabel("Notify the ICO?").SelectOptionAsync("true");
        await page.GetByLabel("Reasons for the ICO decision").FillAsync("High risk to the staff concerned.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record ICO decision" }).ClickAsync();
        await page.GetByText("ICO decision recorded.").WaitForAsync();

        await page.GetByLabel("ICO case reference").FillAsync("IC-424242");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record ICO report" }).ClickAsync();
        await page.GetByText("ICO report recorded.").WaitForAsync();

        await page.GetByLabel("Tell the people affected?").SelectOptionAsync("false");
        await page.GetByLabel("If not, the Art. 34(3) exception").SelectOptionAsync("riskNoLongerLikely");
        await page.GetByLabel("Reasons for the decision on people").FillAsync("The recipient deleted it under a signed undertaking.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record decision on people" }).ClickAsync();
        await page.GetByText("Decision on people recorded.").WaitForAsync();

        await page.GetByLabel("Action", new() { Exact = true }).FillAsync("Block external auto-complete in mail");
        await page.GetByLabel("Owner").FillAsync("IT");
        await page.GetByLabel("Due (UTC date)").FillAsync(DateTime.UtcNow.AddDays(14).ToString("yyyy-MM-dd"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Add action" }).ClickAsync();
        await page.GetByText("Action added.").WaitForAsync();

        // ACC010: the open action stops the closure.
        await page.GetByRole(AriaRole.Button, new() { Name = "Close the breach" }).ClickAsync();
        await page.Locator(".alert-error", new() { HasText = "ACC010" }).WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Mark done: Block external auto-complete in mail" }).ClickAsync();
        await page.GetByText("Action done.").WaitForAsync();
        await page.GetByLabel("Lessons learned").FillAsync("Check recipients before sending exports.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Close the breach" }).ClickAsync();
        await page.GetByText("Breach closed; it stays in the register.").WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "breach-closed.png"), FullPage = true });

        await page.GotoAsync("/breaches");
        (await page.Locator("table").TextContentAsync())!.ShouldContain("closed");
    }
}
