using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>A complaint in a real browser (issue 7 point 6): a person lodges it in the privacy centre, without
/// JavaScript and by keyboard on pages that pass axe; a member of staff answers it and the person is told of their
/// right to complain to the ICO.</summary>
public sealed class ComplaintTests(LiveServer server) : IClassFixture<LiveServer>
{
    private const string Password = "correct horse battery staple";

    private async Task<IBrowserContext> ContextAsync(BrowserNewContextOptions? options = null)
    {
        options ??= new BrowserNewContextOptions();
        options.BaseURL = server.Address.ToString();
        var context = await server.Browser.NewContextAsync(options);
        context.SetDefaultTimeout(60_000);
        return context;
    }

    [Fact]
    public async Task A_person_lodges_a_complaint_without_javascript_and_staff_answer_it_with_the_ico_right()
    {
        await server.CreateUserAsync("sam@example.org", "Staff", Password);
        await using var personContext = await ContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = false });
        var person = await personContext.NewPageAsync();
        var posts = new List<(string Url, int Status)>();
        person.Response += (_, response) =>
        {
            if (response.Request.Method == "POST")
            {
                posts.Add((response.Url, response.Status));
            }
        };
        var lodged = DateTimeOffset.UtcNow;
        var reference = "";
        await server.ExplainFailureAsync(person, "complaint-lodged", async () => reference = await LodgeAsync(person));
        posts.ShouldHaveSingleItem().Status.ShouldBe(200, "one plain form post");
        var ack = await server.WaitForEmailAsync("rene@example.org", m => m.Subject == $"We received your complaint {reference}", lodged);
        ack.TextBody!.ShouldContain($"Your reference is {reference}");

        await using var staffContext = await ContextAsync();
        var staff = await staffContext.NewPageAsync();
        var answered = DateTimeOffset.UtcNow;
        await server.ExplainFailureAsync(staff, "complaint-answered", () => AnswerAsync(staff, reference));
        var outcome = await server.WaitForEmailAsync("rene@example.org", m => m.Subject == $"The outcome of your complaint {reference}", answered);
        outcome.TextBody!.ShouldContain("We agree with part of your complaint.");
        outcome.TextBody!.ShouldContain("We have stopped the newsletter to your address.");
        outcome.TextBody!.ShouldContain("you have the right to complain to the Information Commissioner's");
        outcome.TextBody!.ShouldContain("https://ico.org.uk/make-a-complaint/");
    }

    private async Task<string> LodgeAsync(IPage page)
    {
        await page.GotoAsync("/privacy");
        await page.GetByRole(AriaRole.Link, new() { Name = "Make a complaint" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Make a complaint", Level = 1 }).WaitForAsync();
        await page.GetByLabel("Your name (optional)").FillAsync("René Dupont");
        await page.GetByLabel("Your e-mail address").FillAsync("rene@example.org");
        await page.GetByLabel("What is your complaint about?").FillAsync("Newsletter after I objected");
        await page.GetByLabel("Tell us what happened").FillAsync("I objected to your newsletter in June and still receive it every week.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send my complaint" }).ClickAsync();
        var facts = page.Locator("dl.facts");
        await facts.WaitForAsync();
        (await page.Locator("main").InnerTextAsync()).ShouldContain("have e-mailed you an acknowledgement");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "complaint-lodged.png"), FullPage = true });
        var reference = System.Text.RegularExpressions.Regex.Match(await facts.InnerTextAsync(), "CMP-\\d{4}-\\d{4}").Value;
        reference.ShouldNotBeEmpty();
        return reference;
    }

    private async Task AnswerAsync(IPage page, string reference)
    {
        await page.GotoAsync("/account/login");
        await page.GetByLabel("E-mail address").FillAsync("sam@example.org");
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("main", new() { HasText = "Signed in as sam@example.org" }).WaitForAsync();
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Complaints" }).ClickAsync();
        var row = page.Locator("tr", new() { HasText = reference });
        (await row.InnerTextAsync()).ShouldContain("acknowledged");
        await row.GetByRole(AriaRole.Link, new() { Name = reference }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = $"{reference}: Newsletter after I objected" }).WaitForAsync();
        (await page.Locator("dl.facts").InnerTextAsync()).ShouldContain("rene@example.org");

        await page.GetByLabel("Update", new() { Exact = true }).FillAsync("We are checking our mailing lists.");
        await page.GetByLabel("E-mail it to the person").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add update" }).ClickAsync();
        await page.GetByText("Update added.").WaitForAsync();

        await page.GetByLabel("Result").SelectOptionAsync("partlyUpheld");
        await page.GetByLabel("What you found and what you have done").FillAsync("Your objection reached us but was not applied. We have stopped the newsletter to your address.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the outcome" }).ClickAsync();
        await page.GetByText("Outcome recorded; it tells the person of their right to complain to the ICO.").WaitForAsync();
        (await page.Locator("pre.letter").InnerTextAsync()).ShouldContain("https://ico.org.uk/make-a-complaint/");

        await page.GetByRole(AriaRole.Button, new() { Name = "Close the complaint" }).ClickAsync();
        await page.GetByText("Complaint closed.").WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(server.Artifacts, "complaint-closed.png"), FullPage = true });
        await page.GotoAsync("/complaints?status=closed");
        (await page.Locator("tr", new() { HasText = reference }).InnerTextAsync()).ShouldContain("answered");
    }

    [Fact]
    public async Task The_complaint_form_works_by_keyboard_alone_and_passes_axe_with_and_without_errors()
    {
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await server.ExplainFailureAsync(page, "complaint-keyboard", () => KeyboardAsync(page));
    }

    private async Task KeyboardAsync(IPage page)
    {
        await page.GotoAsync("/privacy/complaints");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Make a complaint", Level = 1 }).WaitForAsync();
        await Accessibility.ShouldPassAxeAsync(page, server.Artifacts, "the complaint form", "label", "autocomplete-valid");

        // A complaint without an e-mail address is refused with an alert, and the form keeps what was typed.
        await Accessibility.TabToAsync(page, "#name", maxPresses: 12);
        await page.Keyboard.TypeAsync("Kai");
        await Accessibility.TabToAsync(page, "#email", maxPresses: 1);
        await Accessibility.TabToAsync(page, "#subject", maxPresses: 1);
        await page.Keyboard.TypeAsync("Cookies");
        await Accessibility.TabToAsync(page, "#details", maxPresses: 1);
        await page.Keyboard.TypeAsync("Your site set tracking cookies before I agreed.");
        await page.EvaluateAsync("() => document.getElementById('email').removeAttribute('required')");
        await Accessibility.TabToAsync(page, "button:text-is('Send my complaint')", maxPresses: 1);
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Give an e-mail address" }).WaitForAsync();
        (await page.Locator("#subject").InputValueAsync()).ShouldBe("Cookies");
        await Accessibility.ShouldPassAxeAsync(page, server.Artifacts, "the complaint form with an error", "label", "aria-allowed-role");

        await Accessibility.TabToAsync(page, "#email");
        await page.Keyboard.TypeAsync("kai@example.org");
        await Accessibility.TabToAsync(page, "button:text-is('Send my complaint')");
        await page.Keyboard.PressAsync("Space");
        await page.Locator("dl.facts").WaitForAsync();
        (await page.Locator("main").InnerTextAsync()).ShouldContain("Information Commissioner's Office");
        await Accessibility.ShouldPassAxeAsync(page, server.Artifacts, "the complaint acknowledgement page", "link-name");
    }
}
