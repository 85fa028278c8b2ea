using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>The DPO's workspace in a real browser (issue 7 point 4, ACC016): the DPO signs in, opens the dashboard
/// from the main navigation (a page that passes axe, charts included) and follows an item to its page.</summary>
public sealed class DashboardTests(LiveServer server) : IClassFixture<LiveServer>
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task ACC016_the_dpo_opens_the_dashboard_and_follows_a_complaint_awaiting_acknowledgement_to_its_page()
    {
        await server.CreateUserAsync("dee@example.org", "DataProtectionOfficer", Password);
        var staff = await server.ApiClientAsync("Staff");
        var logged = await staff.PostAsJsonAsync("/api/complaints", new
        {
            channel = "post",
            complainant = new { name = "Lee Roe", address = "2 Mill Lane, Leeds" },
            subject = "Marketing after I objected",
            details = "I objected to marketing in June and still get your letters.",
        });
        logged.IsSuccessStatusCode.ShouldBeTrue(await logged.Content.ReadAsStringAsync());
        var complaint = await logged.Content.ReadFromJsonAsync<JsonElement>();
        var reference = complaint.GetProperty("reference").GetString()!;
        var id = complaint.GetProperty("id").GetGuid();

        await using var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await server.ExplainFailureAsync(page, "dashboard", async () =>
        {
            await page.GotoAsync("/account/login");
            await page.GetByLabel("E-mail address").FillAsync("dee@example.org");
            await page.GetByLabel("Password").FillAsync(Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.Locator("main", new() { HasText = "Signed in as dee@example.org" }).WaitForAsync();
            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
            await page.GetByRole(AriaRole.Heading, new() { Name = "What needs attention", Level = 1 }).WaitForAsync();
            var group = page.Locator("section[data-kind=complaintAcknowledgement]");
            (await group.GetByRole(AriaRole.Heading).InnerTextAsync()).ShouldContain("Complaints awaiting acknowledgement");
            (await page.Locator("main").InnerTextAsync()).ShouldNotContain("Lee Roe");
            await page.GetByRole(AriaRole.Img, new() { Name = "Data-subject requests received per month by type" }).WaitForAsync();
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "dashboard.png"), FullPage = true });
            await Accessibility.ShouldPassAxeAsync(page, server.Artifacts, "the dashboard");

            await group.GetByRole(AriaRole.Link, new() { Name = $"{reference}: acknowledge the complaint" }).ClickAsync();
            await page.WaitForURLAsync($"**/complaints/{id}");
            await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).Filter(new() { HasText = reference }).WaitForAsync();
        });
    }
}
