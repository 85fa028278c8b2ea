using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>The DPO's register work in a real browser.</summary>
public sealed class RegisterTests(LiveServer server) : IClassFixture<LiveServer>
{
    [Fact]
    public async Task The_dpo_creates_an_activity_fixes_a_validation_error_and_signs_off_its_review()
    {
        await server.CreateUserAsync("dpo@example.org", "DataProtectionOfficer", "correct horse battery staple");
        await using var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        // CI machines are shared: allow a slow first render rather than fail on a busy core.
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await server.ExplainFailureAsync(page, "register", () => ScenarioAsync(page));
    }

    private async Task ScenarioAsync(IPage page)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail address").FillAsync("dpo@example.org");
        await page.GetByLabel("Password").FillAsync("correct horse battery staple");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Blazor's enhanced navigation swaps content without a load event: wait for what the next page shows.
        await page.Locator("main", new() { HasText = "Signed in as dpo@example.org" }).WaitForAsync();

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Register" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New activity" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "New processing activity" }).WaitForAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Customer accounts");
        await page.GetByLabel("Status").SelectOptionAsync("active");
        await page.GetByLabel("Purposes (data uses, e.g. essential.service)").FillAsync("essential.service");
        await page.GetByLabel("Data subjects (e.g. customer)").FillAsync("customer");
        await page.GetByLabel("Personal data (data categories, e.g. user.contact.email)").FillAsync("user.contact.email\nuser.name");
        await page.GetByLabel("Article 6(1) basis").SelectOptionAsync("contract");
        await page.GetByLabel("Retention period (ISO 8601, e.g. P6Y)").FillAsync("P6Y");
        await page.GetByLabel("Counted from").FillAsync("account closed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save activity" }).ClickAsync();

        // The contract is not named: REG002 appears beside its field and nothing is saved.
        var error = page.Locator(".field-error", new() { HasText = "REG002" });
        await error.WaitForAsync();
        (await error.TextContentAsync())!.ShouldContain("Name the contract");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "register-validation.png"), FullPage = true });
        (await page.GetByLabel("Name", new() { Exact = true }).InputValueAsync()).ShouldBe("Customer accounts");

        await page.GetByLabel("The contract, law or task named").FillAsync("Account terms");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save activity" }).ClickAsync();
        await page.GetByText("Saved as version 1").WaitForAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Customer accounts", Level = 1 }).WaitForAsync();

        await page.GetByLabel("Review notes").FillAsync("Checked against the retention schedule.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign off review" }).ClickAsync();
        await page.GetByText("Review signed off.").WaitForAsync();
        (await page.Locator("section[aria-labelledby=reviews]").TextContentAsync())!.ShouldContain("Checked against the retention schedule.");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "register-activity.png"), FullPage = true });
    }
}
