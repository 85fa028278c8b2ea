using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>A new organisation's first minutes, in a real browser.</summary>
public sealed class FirstAdministratorTests(LiveServer server) : IClassFixture<LiveServer>
{
    [Fact]
    public async Task The_first_administrator_signs_up_signs_in_and_opens_the_audit_trail()
    {
        await using var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        // CI machines are shared: allow a slow first render rather than fail on a busy core.
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await server.ExplainFailureAsync(page, "first-administrator", () => FirstAdministratorScenarioAsync(page));
    }

    private async Task FirstAdministratorScenarioAsync(IPage page)
    {
        await page.GotoAsync("/");
        page.Url.ShouldEndWith("/setup");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Create the first administrator" }).WaitForAsync();
        await page.GetByLabel("E-mail address").FillAsync("admin@example.org");
        await page.GetByLabel("Password").FillAsync("correct horse battery staple");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create administrator" }).ClickAsync();
        // Blazor's enhanced navigation swaps content without a load event: wait for what the next page shows.
        await page.Locator("main", new() { HasText = "Signed in as admin@example.org" }).WaitForAsync();
        new Uri(page.Url).AbsolutePath.ShouldBe("/");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" }).WaitForAsync();
        new Uri(page.Url).AbsolutePath.ShouldBe("/account/login");
        await page.GetByLabel("E-mail address").FillAsync("admin@example.org");
        await page.GetByLabel("Password").FillAsync("correct horse battery staple");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("main", new() { HasText = "Signed in as admin@example.org" }).WaitForAsync();

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Audit trail" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Audit trail", Level = 1 }).WaitForAsync();
        new Uri(page.Url).AbsolutePath.ShouldBe("/audit");
        (await page.GetByTestId("chain-status").TextContentAsync())!.ShouldContain("Hash chain intact");
        var rows = await page.Locator("tbody tr").AllTextContentsAsync();
        rows.ShouldContain(r => r.Contains("users.created"));
        rows.ShouldContain(r => r.Contains("auth.sign_in"));
        rows.ShouldContain(r => r.Contains("auth.sign_out"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "audit-trail.png"), FullPage = true });

        await page.GotoAsync("/audit?action=auth.sign_out");
        await page.GetByTestId("chain-status").WaitForAsync();
        var filtered = await page.Locator("tbody tr").AllTextContentsAsync();
        filtered.ShouldAllBe(r => r.Contains("auth.sign_out"));
    }

    [Fact]
    public async Task Pages_run_without_script_errors_and_with_the_stylesheet_loaded()
    {
        await using var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        // CI machines are shared: allow a slow first render rather than fail on a busy core.
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        var response = await page.GotoAsync("/account/login");
        response!.Ok.ShouldBeTrue();
        var background = await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");
        background.ShouldBe("rgb(246, 247, 249)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "login.png") });
        errors.ShouldBeEmpty();
    }
}
