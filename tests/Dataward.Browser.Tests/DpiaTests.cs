using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>A DPIA in a real browser: a member of staff screens a register activity and writes the assessment; the DPO
/// is refused a sign-off without advice, advises, signs off, and the register shows the screening on the activity.</summary>
public sealed class DpiaTests(LiveServer server) : IClassFixture<LiveServer>
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Staff_screen_an_activity_and_write_the_dpia_and_the_dpo_advises_and_signs_it_off()
    {
        await server.CreateUserAsync("staff@example.org", "Staff", Password);
        await server.CreateUserAsync("dpo@example.org", "DataProtectionOfficer", Password);
        var api = await server.ApiClientAsync("DataProtectionOfficer");
        var created = await api.PostAsJsonAsync("/api/register/activities", new
        {
            name = "Loyalty scoring",
            status = "draft",
            purposes = new[] { "marketing.advertising" },
            dataSubjects = new[] { "customer" },
            dataCategories = new[] { "user.contact.email", "user.name" },
            lawfulBasis = "contract",
            lawfulBasisDetail = "Loyalty scheme terms",
            retention = new { period = "P2Y", trigger = "membership ended" },
        });
        created.EnsureSuccessStatusCode();
        var activityId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        await using var staffContext = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        staffContext.SetDefaultTimeout(60_000);
        var staff = await staffContext.NewPageAsync();
        await server.ExplainFailureAsync(staff, "dpia-writing", () => ScreenAndWriteAsync(staff));

        await using var dpoContext = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Address.ToString() });
        dpoContext.SetDefaultTimeout(60_000);
        var dpo = await dpoContext.NewPageAsync();
        await server.ExplainFailureAsync(dpo, "dpia-sign-off", () => AdviseAndSignOffAsync(dpo, activityId));
    }

    private static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("main", new() { HasText = $"Signed in as {email}" }).WaitForAsync();
    }

    private async Task ScreenAndWriteAsync(IPage page)
    {
        await SignInAsync(page, "staff@example.org");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "DPIAs" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Screen Loyalty scoring" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "DPIA screening: Loyalty scoring" }).WaitForAsync();

        await page.GetByLabel("Evaluation or scoring, including profiling and prediction").CheckAsync();
        await page.GetByLabel("Data processed on a large scale").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Record screening" }).ClickAsync();
        await page.GetByText("Screening recorded: a DPIA is required.").WaitForAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "A DPIA is required" }).WaitForAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Start the DPIA" }).ClickAsync();
        await page.GetByText("Started as DPIA-").WaitForAsync();

        await page.GetByLabel("Why a DPIA is needed").FillAsync("Two WP248 criteria: customers are scored, and there are 120,000 of them.");
        await page.GetByLabel("Nature: collection, use, storage, deletion; sources; sharing").FillAsync("Purchases are scored nightly to set loyalty tiers.");
        await page.GetByLabel("Purposes, including any legitimate interest").FillAsync("Reward frequent customers.");
        await page.GetByLabel("Lawful basis").FillAsync("Contract: the loyalty scheme terms.");
        await page.GetByLabel("Necessity: does the processing achieve the purpose, is there a less intrusive way?").FillAsync("Tiers cannot be set without the purchase history.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save sections" }).ClickAsync();
        await page.GetByText("Sections saved.").WaitForAsync();

        await page.GetByLabel("Risk to people (new): source and possible harm").FillAsync("A customer is wrongly put in a lower tier and loses benefits.");
        await page.GetByLabel("Likelihood (new)", new() { Exact = true }).SelectOptionAsync("possible");
        await page.GetByLabel("Severity (new)", new() { Exact = true }).SelectOptionAsync("significant");
        await page.GetByLabel("Measures (new, one per line)").FillAsync("Customers can ask for a human review of their tier.");
        await page.GetByLabel("Effect of the measures (new)").SelectOptionAsync("reduced");
        await page.GetByLabel("Residual likelihood (new)").SelectOptionAsync("remote");
        await page.GetByLabel("Residual severity (new)").SelectOptionAsync("significant");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add risk" }).ClickAsync();
        await page.GetByText("Risk added.").WaitForAsync();

        // ACC012: the risk sits in its cell of the fixed matrix, before (possible x significant: medium) and after (low).
        var before = page.GetByRole(AriaRole.Table, new() { Name = "Risks before measures" });
        (await before.GetByRole(AriaRole.Row).Filter(new() { HasText = "possible" }).GetByRole(AriaRole.Cell).Nth(1).TextContentAsync())!.ShouldContain("medium");
        (await before.GetByRole(AriaRole.Row).Filter(new() { HasText = "possible" }).GetByRole(AriaRole.Cell).Nth(1).TextContentAsync())!.ShouldContain("R1");
        var after = page.GetByRole(AriaRole.Table, new() { Name = "Residual risks after measures" });
        (await after.GetByRole(AriaRole.Row).Filter(new() { HasText = "remote" }).GetByRole(AriaRole.Cell).Nth(1).TextContentAsync())!.ShouldContain("R1");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "dpia-written.png"), FullPage = true });

        (await page.GetByRole(AriaRole.Button, new() { Name = "Sign off" }).CountAsync()).ShouldBe(0, "staff write; the DPO or an administrator signs off");
        (await page.GetByRole(AriaRole.Button, new() { Name = "Record the DPO's advice" }).CountAsync()).ShouldBe(0, "the advice is the DPO's alone");
    }

    private async Task AdviseAndSignOffAsync(IPage page, Guid activityId)
    {
        await SignInAsync(page, "dpo@example.org");
        await page.GotoAsync("/dpias");
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^DPIA-") }).First.ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "7. Sign-off" }).WaitForAsync();

        await page.GetByLabel("Measures approved by (name or position)").FillAsync("Head of Customer Services");
        await page.GetByLabel("Residual risks approved by (name or position)").FillAsync("Chief Executive");
        await page.GetByLabel("Kept under review by").FillAsync("Data Protection Officer");
        await page.GetByLabel("Next review (date)").FillAsync(DateTime.UtcNow.AddYears(1).ToString("yyyy-MM-dd"));
        // ACC012: no sign-off without the DPO's advice, and nothing changes.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign off" }).ClickAsync();
        await page.Locator(".alert-error", new() { HasText = "Sign-off is refused without the DPO's advice" }).WaitForAsync();
        (await page.Locator("dl.facts").First.TextContentAsync())!.ShouldContain("draft");

        await page.GetByLabel("Advice on this version").FillAsync("Proceed: the human review of tiers addresses the main risk.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record the DPO's advice" }).ClickAsync();
        await page.GetByText("The DPO's advice is recorded.").WaitForAsync();
        (await page.Locator("dl.facts").First.TextContentAsync())!.ShouldContain("awaiting sign-off");

        await page.GetByLabel("Measures approved by (name or position)").FillAsync("Head of Customer Services");
        await page.GetByLabel("Residual risks approved by (name or position)").FillAsync("Chief Executive");
        await page.GetByLabel("Kept under review by").FillAsync("Data Protection Officer");
        await page.GetByLabel("Next review (date)").FillAsync(DateTime.UtcNow.AddYears(1).ToString("yyyy-MM-dd"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign off" }).ClickAsync();
        await page.GetByText("Signed off.", new() { Exact = true }).WaitForAsync();
        var facts = (await page.Locator("dl.facts").First.TextContentAsync())!;
        facts.ShouldContain("complete");
        facts.ShouldContain("The DPO's advice was accepted.");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "dpia-signed-off.png"), FullPage = true });

        // ACC011: the register shows the screening on the activity.
        await page.GotoAsync($"/register/{activityId}");
        var panel = page.Locator("section[aria-labelledby=dpia-screening]");
        await panel.WaitForAsync();
        var text = (await panel.TextContentAsync())!;
        text.ShouldContain("DPIA required");
        text.ShouldContain("(complete)");
    }
}
