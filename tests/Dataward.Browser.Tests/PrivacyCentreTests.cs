using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Dataward.Browser.Tests;

/// <summary>Dataward with an organisation, four consent purposes and a published notice covering them, arranged
/// through the REST API as a DPO's script would.</summary>
public sealed class PrivacyCentreSite : IAsyncLifetime
{
    public LiveServer Server { get; } = new();

    public HttpClient Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Server.InitializeAsync();
        Api = await Server.ApiClientAsync("DataProtectionOfficer");
        await ExpectAsync(await Api.PutAsJsonAsync("/api/register/organisation", new
        {
            name = "Acme Ltd",
            email = "privacy@acme.example",
            dpo = new { name = "Dee Pio", email = "dpo@acme.example" },
            jurisdictions = new[] { "UK" },
        }), HttpStatusCode.OK);
        await PurposeAsync(new { key = "newsletter", title = "Monthly newsletter", description = "News about our products, once a month.", directMarketing = true });
        await PurposeAsync(new { key = "ad-sharing", title = "Sharing with advertisers", description = "We share your profile with advertising partners.", saleOrSharing = true });
        await PurposeAsync(new { key = "analytics", title = "Product analytics", description = "How people use our app." });
        // A children's purpose asks for an age and a parent's address: the only typed fields after verification.
        await PurposeAsync(new { key = "kids-club", title = "Kids club", description = "Games and news for young members.", children = true });
        var draft = await Api.PostAsJsonAsync("/api/notices", new
        {
            language = "en",
            title = "Privacy notice",
            body = "# How we use your data\n\nWe ask before we use it.\n\n## Your rights\n\nWrite to privacy@acme.example.",
            purposes = new[] { "newsletter", "ad-sharing", "analytics", "kids-club" },
        });
        await ExpectAsync(draft, HttpStatusCode.Created);
        var id = (await draft.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await ExpectAsync(await Api.PostAsync($"/api/notices/{id}/publish", null), HttpStatusCode.OK);
    }

    private async Task PurposeAsync(object purpose) => await ExpectAsync(await Api.PostAsJsonAsync("/api/consent/purposes", purpose), HttpStatusCode.Created);

    /// <summary>Records that <paramref name="subject"/> agreed on the website earlier, before they ever visited the privacy centre.</summary>
    public async Task GivenEarlierAsync(string subject, string purpose) => await ExpectAsync(await Api.PostAsJsonAsync("/api/consent/events",
        new { subject, purpose, action = "given", noticeVersion = "1", method = "web" }), HttpStatusCode.Created);

    /// <summary>What the organisation's systems are told when they ask whether they may use the data.</summary>
    public async Task<string> StateAsync(string subject, string purpose) =>
        (await Api.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Uri.EscapeDataString(subject)}&purpose={purpose}"))
        .GetProperty("state").GetString()!;

    private static async Task ExpectAsync(HttpResponseMessage response, HttpStatusCode status) =>
        response.StatusCode.ShouldBe(status, await response.Content.ReadAsStringAsync());

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Issue 4, point 10: the public preference centre in a real Chromium. A person proves their e-mail with a
/// one-time code, sees every purpose with its state and history and changes them, by keyboard alone, without
/// JavaScript, with the Global Privacy Control signal on, and on pages that pass an automated accessibility check.</summary>
public sealed partial class PrivacyCentreTests(PrivacyCentreSite site) : IClassFixture<PrivacyCentreSite>
{
    private const string Preferences = "/privacy/preferences";
    private LiveServer Server => site.Server;

    private async Task<IBrowserContext> ContextAsync(BrowserNewContextOptions? options = null)
    {
        options ??= new BrowserNewContextOptions();
        options.BaseURL = Server.Address.ToString();
        var context = await Server.Browser.NewContextAsync(options);
        // CI machines are shared: allow a slow first render rather than fail on a busy core.
        context.SetDefaultTimeout(60_000);
        return context;
    }

    private async Task<string> CodeSentToAsync(string email, DateTimeOffset after)
    {
        var message = await Server.WaitForEmailAsync(email, m => CodeInMessage().IsMatch(m.TextBody ?? ""), after);
        return CodeInMessage().Match(message.TextBody!).Groups[1].Value;
    }

    private static ILocator Purpose(IPage page, string key) => page.Locator($"#purpose-{key}");

    [Fact]
    public async Task A_person_proves_their_address_and_changes_their_choices_with_the_keyboard_alone()
    {
        await site.GivenEarlierAsync("kim@example.org", "analytics");
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await Server.ExplainFailureAsync(page, "privacy-keyboard", () => KeyboardScenarioAsync(page));
    }

    private async Task KeyboardScenarioAsync(IPage page)
    {
        const string email = "kim@example.org";
        await page.GotoAsync(Preferences);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your privacy choices", Level = 1 }).WaitForAsync();

        // The page starts at its heading (with script) or at the top (without): either way Tab soon reaches the field.
        await TabToAsync(page, "#email", maxPresses: 6);
        // Back up through the navigation to the skip link, which shows itself when focused; it leads past the
        // navigation again, moving the keyboard focus and not only the scroll position.
        await TabToAsync(page, "a.skip-link", maxPresses: 6, backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await SkippedToMainAsync(page);
        await TabToAsync(page, "#email", maxPresses: 1);
        await page.Keyboard.TypeAsync(email);
        await TabToAsync(page, "button:text-is('Send me a code')", maxPresses: 1);
        // Back again and forth: the order is the reading order in both directions.
        await TabToAsync(page, "#email", maxPresses: 1, backwards: true);
        (await page.Locator("#email").InputValueAsync()).ShouldBe(email);
        await TabToAsync(page, "button:text-is('Send me a code')", maxPresses: 1);
        var asked = DateTimeOffset.UtcNow;
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("main", new() { HasText = "we have sent a 6-digit code" }).WaitForAsync();

        var code = await CodeSentToAsync(email, asked);
        await TabToAsync(page, "#code");
        await page.Keyboard.TypeAsync(code);
        await TabToAsync(page, "button:text-is('Confirm')", maxPresses: 1);
        await page.Keyboard.PressAsync("Space");
        await page.Locator("main", new() { HasText = $"You confirmed you are {email}" }).WaitForAsync();

        // Every purpose, with what holds now: the agreement given earlier on the website, and the others not yet asked.
        (await page.Locator("section.purpose").CountAsync()).ShouldBe(4);
        (await Purpose(page, "analytics").Locator(".state").InnerTextAsync()).ShouldStartWith("Now: You agreed on ");
        (await Purpose(page, "newsletter").Locator(".state").InnerTextAsync()).ShouldContain("You have not told us yet.");
        (await Purpose(page, "ad-sharing").Locator(".state").InnerTextAsync()).ShouldContain("You have not told us yet.");

        await TabToAsync(page, "#purpose-newsletter button:text-is('Yes, I agree')");
        await page.Keyboard.PressAsync("Enter");
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved. You agreed to Monthly newsletter." }).WaitForAsync();
        await Purpose(page, "newsletter").Locator(".state", new() { HasText = "You agreed on" }).WaitForAsync();

        await TabToAsync(page, "#purpose-analytics button:text-is('Withdraw my consent')");
        await page.Keyboard.PressAsync("Space");
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved. You withdrew your consent to Product analytics." }).WaitForAsync();
        await Purpose(page, "analytics").Locator(".state", new() { HasText = "You withdrew your consent on" }).WaitForAsync();

        // The history opens from the keyboard too, and tells the whole story, newest first.
        await TabToAsync(page, "#purpose-analytics summary");
        await page.Keyboard.PressAsync("Enter");
        var rows = Purpose(page, "analytics").Locator("details[open] tbody tr");
        await rows.First.WaitForAsync();
        var history = await rows.AllInnerTextsAsync();
        history.Count.ShouldBe(2);
        history[0].ShouldContain("You withdrew your consent");
        history[0].ShouldContain("in this privacy centre");
        history[1].ShouldContain("You agreed");
        history[1].ShouldContain("on our website");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Server.Artifacts, "privacy-keyboard.png"), FullPage = true });

        (await site.StateAsync(email, "newsletter")).ShouldBe("given");
        (await site.StateAsync(email, "analytics")).ShouldBe("withdrawn");
        (await site.StateAsync(email, "ad-sharing")).ShouldBe("none");
    }

    private static async Task SkippedToMainAsync(IPage page)
    {
        try
        {
            await page.WaitForFunctionAsync("() => document.activeElement?.id === 'main'", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            var focused = await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 160) ?? 'nothing'");
            throw new ShouldAssertException($"The skip link left the keyboard focus on {focused}, at {page.Url}, instead of moving it to the main content.");
        }
    }

    private static Task TabToAsync(IPage page, string selector, int maxPresses = 40, bool backwards = false) =>
        Accessibility.TabToAsync(page, selector, maxPresses, backwards);

    [Fact]
    public async Task Without_javascript_every_step_is_a_plain_form_post_that_works()
    {
        await site.GivenEarlierAsync("noa@example.org", "analytics");
        await using var context = await ContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = false });
        var page = await context.NewPageAsync();
        var posts = new List<(string Url, int Status)>();
        page.Response += (_, response) =>
        {
            if (response.Request.Method == "POST")
            {
                posts.Add((response.Url, response.Status));
            }
        };
        await Server.ExplainFailureAsync(page, "privacy-no-javascript", () => NoScriptScenarioAsync(page));
        // Send, confirm (a redirect), yes, withdraw, no, forget: six real posts, none of them refused.
        posts.Count.ShouldBe(6, string.Join("\n", posts));
        posts.ShouldAllBe(p => p.Status == 200 || p.Status == 302);
    }

    private async Task NoScriptScenarioAsync(IPage page)
    {
        const string email = "noa@example.org";
        await page.GotoAsync("/privacy");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Privacy centre", Level = 1 }).WaitForAsync();
        // Without script the page starts at the top: the first Tab is the skip link, and it works there too.
        await page.Keyboard.PressAsync("Tab");
        (await page.EvaluateAsync<string>("() => document.activeElement.className")).ShouldBe("skip-link");
        await page.Keyboard.PressAsync("Enter");
        await SkippedToMainAsync(page);
        new Uri(page.Url).AbsolutePath.ShouldBe("/privacy");
        await page.GetByRole(AriaRole.Link, new() { Name = "Your choices" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your privacy choices", Level = 1 }).WaitForAsync();

        await page.GetByLabel("Your e-mail address").FillAsync(email);
        var asked = DateTimeOffset.UtcNow;
        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).ClickAsync();
        await page.Locator("main", new() { HasText = "we have sent a 6-digit code" }).WaitForAsync();
        await page.GetByLabel("The code from the e-mail").FillAsync(await CodeSentToAsync(email, asked));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.Locator("main", new() { HasText = $"You confirmed you are {email}" }).WaitForAsync();
        new Uri(page.Url).AbsolutePath.ShouldBe(Preferences);

        await Purpose(page, "newsletter").GetByRole(AriaRole.Button, new() { Name = "Yes, I agree" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved. You agreed to Monthly newsletter." }).WaitForAsync();
        await Purpose(page, "analytics").GetByRole(AriaRole.Button, new() { Name = "Withdraw my consent" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved. You withdrew your consent to Product analytics." }).WaitForAsync();
        await Purpose(page, "ad-sharing").GetByRole(AriaRole.Button, new() { Name = "No", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved. You said no to Sharing with advertisers." }).WaitForAsync();

        (await Purpose(page, "newsletter").Locator(".state").InnerTextAsync()).ShouldContain("You agreed on");
        (await Purpose(page, "analytics").Locator(".state").InnerTextAsync()).ShouldContain("You withdrew your consent on");
        (await Purpose(page, "ad-sharing").Locator(".state").InnerTextAsync()).ShouldContain("You said no on");
        // A "Yes" stays on offer after a "No", and the "No" is not offered twice.
        (await Purpose(page, "ad-sharing").GetByRole(AriaRole.Button, new() { Name = "Yes, I agree" }).CountAsync()).ShouldBe(1);
        (await Purpose(page, "ad-sharing").GetByRole(AriaRole.Button, new() { Name = "No", Exact = true }).CountAsync()).ShouldBe(0);

        // <details> opens without script.
        await Purpose(page, "analytics").Locator("summary").ClickAsync();
        var history = await Purpose(page, "analytics").Locator("details[open] tbody tr").AllInnerTextsAsync();
        history.Count.ShouldBe(2);
        history[0].ShouldContain("You withdrew your consent");
        history[1].ShouldContain("You agreed");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Server.Artifacts, "privacy-no-javascript.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = "Forget me on this device" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).WaitForAsync();
        (await page.Locator("main").InnerTextAsync()).ShouldNotContain(email);

        (await site.StateAsync(email, "newsletter")).ShouldBe("given");
        (await site.StateAsync(email, "analytics")).ShouldBe("withdrawn");
        (await site.StateAsync(email, "ad-sharing")).ShouldBe("refused");
    }

    [Fact]
    public async Task The_public_pages_pass_axe_s_wcag_2_a_and_aa_rules_before_and_after_verification()
    {
        await site.GivenEarlierAsync("ally@example.org", "analytics");
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await Server.ExplainFailureAsync(page, "privacy-accessibility", () => AccessibilityScenarioAsync(page));
    }

    private async Task AccessibilityScenarioAsync(IPage page)
    {
        const string email = "ally@example.org";
        await page.GotoAsync("/privacy");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Privacy centre", Level = 1 }).WaitForAsync();
        await ShouldPassAxeAsync(page, "the start page", "heading-order", "bypass", "html-has-lang");

        await page.GotoAsync("/privacy/notice");
        await page.GetByRole(AriaRole.Heading, new() { Name = "Privacy notice", Level = 1 }).WaitForAsync();
        await ShouldPassAxeAsync(page, "the notice", "heading-order", "valid-lang");

        await page.GotoAsync(Preferences);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your privacy choices", Level = 1 }).WaitForAsync();
        await ShouldPassAxeAsync(page, "the preference centre before verification", "label", "autocomplete-valid", "heading-order");

        await page.GetByLabel("Your e-mail address").FillAsync(email);
        var asked = DateTimeOffset.UtcNow;
        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).ClickAsync();
        await page.Locator("main", new() { HasText = "we have sent a 6-digit code" }).WaitForAsync();
        await ShouldPassAxeAsync(page, "the code form", "label", "autocomplete-valid");

        // A mistyped code is refused with an alert, which must be as readable as the rest.
        await page.GetByLabel("The code from the e-mail").FillAsync("12345");
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.GetByRole(AriaRole.Alert).WaitForAsync();
        await ShouldPassAxeAsync(page, "the code form with an error", "label", "aria-allowed-role");

        await page.GetByLabel("The code from the e-mail").FillAsync(await CodeSentToAsync(email, asked));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.Locator("main", new() { HasText = $"You confirmed you are {email}" }).WaitForAsync();
        await Purpose(page, "newsletter").GetByRole(AriaRole.Button, new() { Name = "Yes, I agree" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Saved. You agreed to Monthly newsletter." }).WaitForAsync();
        // Open every history, so its table is checked too.
        foreach (var summary in await page.Locator("details.history > summary").AllAsync())
        {
            await summary.ClickAsync();
        }
        (await page.Locator("details.history[open] table").CountAsync()).ShouldBe(2);
        (await Purpose(page, "kids-club").GetByLabel("Your age, in years").CountAsync()).ShouldBe(1);
        await ShouldPassAxeAsync(page, "the preference centre after verification", "label", "heading-order", "th-has-data-cells", "summary-name", "button-name");
    }

    private Task ShouldPassAxeAsync(IPage page, string what, params string[] mustApply) =>
        Accessibility.ShouldPassAxeAsync(page, Server.Artifacts, what, mustApply);

    [Fact]
    public async Task A_browser_sending_global_privacy_control_withdraws_the_sale_or_sharing_purpose_and_is_told_so()
    {
        await using var context = await ContextAsync();
        var page = await context.NewPageAsync();
        await Server.ExplainFailureAsync(page, "privacy-gpc", () => GpcScenarioAsync(context, page));
    }

    private async Task GpcScenarioAsync(IBrowserContext context, IPage page)
    {
        const string email = "gil@example.org";
        await page.GotoAsync(Preferences);
        await page.GetByLabel("Your e-mail address").FillAsync(email);
        var asked = DateTimeOffset.UtcNow;
        await page.GetByRole(AriaRole.Button, new() { Name = "Send me a code" }).ClickAsync();
        await page.GetByLabel("The code from the e-mail").FillAsync(await CodeSentToAsync(email, asked));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await page.Locator("main", new() { HasText = $"You confirmed you are {email}" }).WaitForAsync();
        foreach (var (key, title) in new[] { ("ad-sharing", "Sharing with advertisers"), ("newsletter", "Monthly newsletter") })
        {
            await Purpose(page, key).GetByRole(AriaRole.Button, new() { Name = "Yes, I agree" }).ClickAsync();
            await page.GetByRole(AriaRole.Status).Filter(new() { HasText = $"Saved. You agreed to {title}." }).WaitForAsync();
        }
        (await site.StateAsync(email, "ad-sharing")).ShouldBe("given");
        (await page.Locator("main").InnerTextAsync()).ShouldNotContain("Global Privacy Control");

        // The person turns Global Privacy Control on: the same browser session, now sending Sec-GPC: 1.
        await using var withGpc = await ContextAsync(new BrowserNewContextOptions
        {
            StorageState = await context.StorageStateAsync(),
            ExtraHTTPHeaders = new Dictionary<string, string> { ["Sec-GPC"] = "1" },
        });
        var gpcPage = await withGpc.NewPageAsync();
        await gpcPage.GotoAsync(Preferences);
        var banner = gpcPage.GetByRole(AriaRole.Status).Filter(new() { HasText = "Global Privacy Control" });
        await banner.WaitForAsync();
        var said = await banner.InnerTextAsync();
        said.ShouldContain("Your browser's Global Privacy Control signal was honoured");
        said.ShouldContain("We have just stopped: Sharing with advertisers.");
        (await Purpose(gpcPage, "ad-sharing").Locator(".state").InnerTextAsync()).ShouldContain("You withdrew your consent on");
        await Purpose(gpcPage, "ad-sharing").Locator("summary").ClickAsync();
        (await Purpose(gpcPage, "ad-sharing").Locator("details[open] tbody tr").First.InnerTextAsync())
            .ShouldContain("Withdrawn because your browser sent a Global Privacy Control signal");
        (await Purpose(gpcPage, "newsletter").Locator(".state").InnerTextAsync()).ShouldContain("You agreed on");
        await gpcPage.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Server.Artifacts, "privacy-gpc.png"), FullPage = true });
        await ShouldPassAxeAsync(gpcPage, "the preference centre with the GPC notice");

        (await site.StateAsync(email, "ad-sharing")).ShouldBe("withdrawn");
        (await site.StateAsync(email, "newsletter")).ShouldBe("given", "only sale-or-sharing purposes follow the signal");
        // The signal acts once: the next page says it is honoured but has nothing more to stop.
        await gpcPage.ReloadAsync();
        await banner.WaitForAsync();
        (await banner.InnerTextAsync()).ShouldNotContain("We have just stopped");
    }

    [GeneratedRegex(@"Your code is: (\d{6})")]
    private static partial Regex CodeInMessage();
}
