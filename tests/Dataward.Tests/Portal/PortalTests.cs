using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Dataward.Tests.Shredding;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Portal;

public sealed class PortalTests_Sqlite() : PortalTests(StorageProvider.Sqlite);

public sealed class PortalTests_Postgres() : PortalTests(StorageProvider.Postgres);

/// <summary>The public privacy centre as a person without JavaScript uses it: codes by e-mail, choices per purpose,
/// children and parents, direct marketing objections and the Global Privacy Control signal (CNS004, CNS009, CNS010,
/// CNS015-CNS017, CNS019-CNS021).</summary>
public abstract partial class PortalTests(StorageProvider provider) : AppTest(provider)
{
    private const string Page = "/privacy/preferences";
    private readonly HashSet<Guid> seenMessages = [];
    private HttpClient? staff;

    private HttpClient Staff => staff ?? throw new InvalidOperationException("Arrange first.");

    /// <summary>A UK controller (digital consent age 13), five purposes, one notice covering four of them, and a
    /// register activity behind the sale-or-sharing purpose with an automated decision and a transfer without safeguards.</summary>
    private async Task ArrangeAsync()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PutAsJsonAsync("/api/register/organisation", new
        {
            name = "Acme Ltd",
            email = "privacy@acme.example",
            dpo = new { name = "Dee Pio", email = "dpo@acme.example" },
            jurisdictions = new[] { "UK" },
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await PurposeAsync(dpo, new { key = "newsletter", title = "Monthly newsletter", description = "News about our products, once a month.", directMarketing = true });
        await PurposeAsync(dpo, new { key = "ad-sharing", title = "Sharing with advertisers", description = "We share your profile with advertising partners.", saleOrSharing = true });
        await PurposeAsync(dpo, new { key = "kids-club", title = "Kids club", description = "Games and news for young members.", children = true });
        await PurposeAsync(dpo, new { key = "health-research", title = "Health research", description = "Research into how our product affects health.", @explicit = true, sensitive = true });
        await PurposeAsync(dpo, new { key = "analytics", title = "Product analytics", description = "How people use our app." });
        var activity = await dpo.PostAsync("/api/register/activities", new StringContent("""
            {"name": "Advertising partners", "status": "active", "purposes": ["marketing.advertising"],
             "dataSubjects": ["customer"], "dataCategories": ["user.contact.email", "user.name"],
             "lawfulBasis": "consent", "consentPurpose": "ad-sharing", "sources": ["account-application-form"],
             "retention": {"period": "P2Y", "trigger": "consent withdrawn"},
             "recipients": [{"name": "AdNet Inc", "kind": "controller", "country": "IN"}],
             "transfers": [{"country": "IN", "recipient": "AdNet Inc", "mechanism": "derogation", "derogation": "explicitConsent"}],
             "automatedDecisionMaking": {"exists": true, "logic": "A score decides which offers you see."}}
            """, System.Text.Encoding.UTF8, "application/json"));
        var created = await activity.Content.ReadAsStringAsync();
        activity.StatusCode.ShouldBe(HttpStatusCode.Created, created);
        var id = JsonDocument.Parse(created).RootElement.GetProperty("id").GetGuid();
        (await dpo.PutAsJsonAsync("/api/consent/purposes/ad-sharing", new
        {
            key = "ad-sharing",
            title = "Sharing with advertisers",
            description = "We share your profile with advertising partners.",
            saleOrSharing = true,
            activities = new[] { id },
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await PublishAsync(dpo, "Privacy notice", "# How we use your data\n\nWe ask before we use it.", "newsletter", "ad-sharing", "kids-club", "health-research");
        staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
    }

    private static async Task PurposeAsync(HttpClient dpo, object purpose)
    {
        var response = await dpo.PostAsJsonAsync("/api/consent/purposes", purpose);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> PublishAsync(HttpClient dpo, string title, string body, params string[] purposes)
    {
        var draft = await (await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title, body, purposes })).Content.ReadFromJsonAsync<JsonElement>();
        return (await (await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null)).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("version").GetString()!;
    }

    private async Task<JsonElement> CheckAsync(string subject, string purpose) =>
        await Staff.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Uri.EscapeDataString(subject)}&purpose={purpose}");

    private async Task<bool> AllowedAsync(string subject, string purpose) => (await CheckAsync(subject, purpose)).GetProperty("allowed").GetBoolean();

    /// <summary>Messages queued since the last call, with their decrypted recipients.</summary>
    private async Task<IReadOnlyList<(string To, string Subject, string Body, string Purpose)>> NewMailAsync()
    {
        var keys = App.Services.GetRequiredService<KeyRing>();
        var all = (await App.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking().ToListAsync())).Decrypted(App);
        var fresh = all.Where(m => seenMessages.Add(m.Id)).OrderBy(m => m.Id).ToList();
        fresh.ShouldAllBe(m => !m.To.Contains('@'), "addresses wait in the outbox encrypted");
        return fresh.Select(m => (keys.Decrypt(m.To, "email.to"), m.Subject, m.Body, m.Purpose)).ToList();
    }

    private async Task<HttpResponseMessage> AskForCodeAsync(UiSession ui, string email) =>
        await ui.SubmitAsync(Page, "send-code", new Dictionary<string, string> { ["Address.Email"] = email });

    private async Task<string> CodeSentToAsync(string email)
    {
        var message = (await NewMailAsync()).Last(m => m.Purpose == "portal.code.preference-centre");
        message.To.ShouldBe(email);
        var code = CodeInMessage().Match(message.Body);
        code.Success.ShouldBeTrue(message.Body);
        return code.Groups[1].Value;
    }

    private static async Task<HttpResponseMessage> EnterCodeAsync(UiSession ui, string email, string code) =>
        await ui.SubmitAsync(Page, "verify-code", new Dictionary<string, string> { ["Code.Email"] = email, ["Code.Value"] = code });

    private async Task<UiSession> VerifiedAsync(string email, UiSession? ui = null)
    {
        ui ??= App.Ui();
        (await AskForCodeAsync(ui, email)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var verified = await EnterCodeAsync(ui, email, await CodeSentToAsync(email));
        verified.StatusCode.ShouldBe(HttpStatusCode.Redirect, await verified.Content.ReadAsStringAsync());
        verified.Headers.Location!.AbsolutePath.ShouldBe("/privacy/preferences");
        return ui;
    }

    /// <summary>Posts one of the page's forms as a browser would: its hidden fields, plus the clicked button and
    /// whatever the person typed.</summary>
    private static async Task<HttpResponseMessage> PostFormAsync(UiSession ui, string handler, IDictionary<string, string>? typed = null,
        string path = Page)
    {
        var html = await ui.GetPageAsync(path);
        var document = new HtmlParser().ParseDocument(html);
        var form = document.QuerySelectorAll("form")
            .FirstOrDefault(f => f.QuerySelectorAll("input[name=_handler]").Any(i => i.GetAttribute("value") == handler));
        form.ShouldNotBeNull($"no form {handler} on {path}");
        var fields = form.QuerySelectorAll("input[type=hidden]").Where(i => i.GetAttribute("name") is not null)
            .ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value") ?? "");
        foreach (var (name, value) in typed ?? new Dictionary<string, string>())
        {
            fields[name] = value;
        }
        return await ui.Client.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    private static Task<HttpResponseMessage> AnswerAsync(UiSession ui, string purpose, string answer, IDictionary<string, string>? typed = null) =>
        PostFormAsync(ui, $"answer-{purpose}", new Dictionary<string, string>(typed ?? new Dictionary<string, string>()) { ["Answer.Answer"] = answer });

    private async Task<IReadOnlyList<Dataward.Consent.ConsentEvent>> EventsAsync(string purpose) =>
        await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().AsNoTracking().Where(e => e.Purpose == purpose).ToListAsync());

    [Fact]
    public async Task CNS019_a_code_is_emailed_and_opens_the_preference_centre()
    {
        await ArrangeAsync();
        var ui = App.Ui();
        var asked = await AskForCodeAsync(ui, "  Ana@Example.com ");
        asked.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await asked.Content.ReadAsStringAsync()).ShouldContain("we have sent a 6-digit code");
        var code = await CodeSentToAsync("ana@example.com");
        code.ShouldMatch("^[0-9]{6}$");
        var stored = await App.WithDbAsync(db => db.Set<Dataward.Portal.VerificationCode>().SingleAsync());
        stored.CodeHash.ShouldNotContain(code);
        stored.ExpiresAt.ShouldBe(App.Time.GetUtcNow().AddMinutes(10));

        var verified = await EnterCodeAsync(ui, "ana@example.com", code[..3] + " " + code[3..]);
        verified.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var cookie = verified.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("dataward.privacy=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=lax", Case.Insensitive);
        cookie.ShouldContain("path=/privacy", Case.Insensitive);
        cookie.ShouldNotContain("@example.com");
        var page = await ui.GetPageAsync(Page);
        page.ShouldContain("You confirmed you are <strong>ana@example.com</strong>");
        page.ShouldContain("Monthly newsletter");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "portal.subject_verified"))).ShouldBe(1);
        App.Logs.Lines.ShouldNotContain(l => l.Contains("ana@example.com", StringComparison.OrdinalIgnoreCase));

        // Without the cookie, or with an altered one, nobody is verified.
        (await App.Ui().GetPageAsync(Page)).ShouldContain("Send me a code");
        var forged = App.Ui();
        forged.Client.DefaultRequestHeaders.Add("Cookie", "dataward.privacy=CfDJ8" + new string('A', 120));
        (await forged.GetPageAsync(Page)).ShouldContain("Send me a code");
    }

    [Fact]
    public async Task CNS019_a_replayed_code_is_refused()
    {
        await ArrangeAsync();
        var ui = App.Ui();
        await AskForCodeAsync(ui, "ana@example.com");
        var code = await CodeSentToAsync("ana@example.com");
        (await EnterCodeAsync(ui, "ana@example.com", code)).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        var replay = await EnterCodeAsync(App.Ui(), "ana@example.com", code);
        replay.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await replay.Content.ReadAsStringAsync()).ShouldContain("This code has already been used");
    }

    [Fact]
    public async Task CNS019_five_wrong_codes_burn_it()
    {
        await ArrangeAsync();
        var ui = App.Ui();
        await AskForCodeAsync(ui, "ana@example.com");
        var code = await CodeSentToAsync("ana@example.com");
        var wrong = code == "000000" ? "111111" : "000000";
        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var response = await EnterCodeAsync(ui, "ana@example.com", wrong);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await response.Content.ReadAsStringAsync()).ShouldContain($"You can try {5 - attempt} more");
        }
        (await (await EnterCodeAsync(ui, "ana@example.com", wrong)).Content.ReadAsStringAsync()).ShouldContain("that was the last try");

        var right = await EnterCodeAsync(ui, "ana@example.com", code);
        right.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await right.Content.ReadAsStringAsync()).ShouldContain("Too many wrong tries: this code no longer works");
        (await ui.GetPageAsync(Page)).ShouldContain("Send me a code");

        // A new code works, and the burnt one stays dead.
        await AskForCodeAsync(ui, "ana@example.com");
        var fresh = await CodeSentToAsync("ana@example.com");
        (await EnterCodeAsync(ui, "ana@example.com", fresh)).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task CNS019_a_code_expires_after_ten_minutes_and_a_newer_code_replaces_it()
    {
        await ArrangeAsync();
        var ui = App.Ui();
        await AskForCodeAsync(ui, "ana@example.com");
        var first = await CodeSentToAsync("ana@example.com");
        App.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var late = await EnterCodeAsync(ui, "ana@example.com", first);
        late.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await late.Content.ReadAsStringAsync()).ShouldContain("This code has expired");

        await AskForCodeAsync(ui, "ana@example.com");
        var second = await CodeSentToAsync("ana@example.com");
        await AskForCodeAsync(ui, "ana@example.com");
        var third = await CodeSentToAsync("ana@example.com");
        if (second != third)
        {
            (await (await EnterCodeAsync(ui, "ana@example.com", second)).Content.ReadAsStringAsync()).ShouldContain("only the newest one");
        }
        App.Time.Advance(TimeSpan.FromMinutes(9));
        (await EnterCodeAsync(ui, "ana@example.com", third)).StatusCode.ShouldBe(HttpStatusCode.Redirect);

        // A day later the old codes' rows are gone with the next request for a code, anyone's.
        App.Time.Advance(TimeSpan.FromDays(1));
        await AskForCodeAsync(App.Ui(), "bo@example.com");
        (await App.WithDbAsync(db => db.Set<Dataward.Portal.VerificationCode>().CountAsync())).ShouldBe(1);
    }

    [Fact]
    public async Task CNS019_asking_for_a_code_answers_the_same_whether_or_not_the_address_is_known()
    {
        await ArrangeAsync();
        (await Staff.PostAsJsonAsync("/api/consent/events", new { subject = "known@example.com", purpose = "analytics", action = "withdrawn", method = "web" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        await NewMailAsync();
        var known = await AskForCodeAsync(App.Ui(), "known@example.com");
        var unknown = await AskForCodeAsync(App.Ui(), "stranger@example.com");
        known.StatusCode.ShouldBe(unknown.StatusCode);
        static string Normalise(string html, string address) =>
            AntiforgeryValue().Replace(html, "token").Replace(address, "ADDRESS", StringComparison.Ordinal);
        Normalise(await known.Content.ReadAsStringAsync(), "known@example.com")
            .ShouldBe(Normalise(await unknown.Content.ReadAsStringAsync(), "stranger@example.com"));
        (await NewMailAsync()).Select(m => m.To).Order().ShouldBe(["known@example.com", "stranger@example.com"]);

        // Past the hourly limit the answer is the same again, but nothing more is sent.
        for (var i = 0; i < 6; i++)
        {
            (await AskForCodeAsync(App.Ui(), "known@example.com")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        (await NewMailAsync()).Count.ShouldBe(4);
        (await AskForCodeAsync(App.Ui(), "not an address")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task CNS019_the_preference_centre_lists_every_purpose_with_its_state_and_history()
    {
        await ArrangeAsync();
        (await Staff.PostAsJsonAsync("/api/consent/events", new
        {
            subject = "ana@example.com",
            purpose = "newsletter",
            action = "given",
            noticeVersion = "1",
            method = "web",
        })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Staff.PostAsJsonAsync("/api/consent/events", new { subject = "ana@example.com", purpose = "analytics", action = "withdrawn", method = "web" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var ui = await VerifiedAsync("ana@example.com");
        var page = await ui.GetPageAsync(Page);
        foreach (var title in new[] { "Monthly newsletter", "Sharing with advertisers", "Kids club", "Health research", "Product analytics" })
        {
            page.ShouldContain($">{title}</h2>");
        }
        page.ShouldContain("You agreed on 25 November 2026, 09:00 UTC, under version 1 of our privacy notice. We use your data for this.");
        page.ShouldContain("You said no on 25 November 2026, 09:00 UTC. We do not use your data for this.");
        page.ShouldContain("You have not told us yet.");
        page.ShouldContain("<td>You agreed</td>");
        page.ShouldContain("<td>on our website</td>");
        page.ShouldContain("<td>version 1</td>");
        // No published notice covers analytics: the person can only say no (CNS003).
        var analytics = Section(page, "analytics");
        analytics.ShouldContain("our privacy notice does not cover it");
        analytics.ShouldNotContain("Yes, I agree");
    }

    [Fact]
    public async Task CNS004_CNS010_giving_and_withdrawing_through_the_form_is_one_click_each_and_the_check_follows()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("ana@example.com");
        var page = await ui.GetPageAsync(Page);
        // CNS004: nothing chosen in advance, and "Yes" and "No" are the same kind of control.
        page.ShouldNotContain("checked");
        var newsletter = new HtmlParser().ParseDocument(Section(page, "newsletter"));
        newsletter.QuerySelectorAll("button[name='Answer.Answer']").Select(b => (b.TextContent, b.ClassName))
            .ShouldBe([("Yes, I agree", "choice"), ("No", "choice")]);

        var given = await AnswerAsync(ui, "newsletter", "given");
        given.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await given.Content.ReadAsStringAsync()).ShouldContain("Saved. You agreed to Monthly newsletter.");
        (await AllowedAsync("ana@example.com", "newsletter")).ShouldBeTrue();
        var recorded = (await EventsAsync("newsletter")).Single();
        (recorded.Method, recorded.Actor, recorded.NoticeVersion).ShouldBe(("preference-centre", "subject", "1"));
        var evidence = JsonDocument.Parse(await App.EvidenceAsync(recorded)).RootElement;
        evidence.GetProperty("formId").GetString().ShouldBe("preference-centre");
        evidence.GetProperty("language").GetString().ShouldBe("en");
        evidence.GetProperty("wording").GetString()!.ShouldContain("Do you agree that Acme Ltd uses your data for: Monthly newsletter?");
        (await NewMailAsync()).ShouldContain(m => m.Purpose == "consent.receipt" && m.To == "ana@example.com");

        // CNS010: one button withdraws, no reason asked.
        var withdrawForm = new HtmlParser().ParseDocument(Section(await ui.GetPageAsync(Page), "newsletter"));
        withdrawForm.QuerySelectorAll("form textarea, form select").ShouldBeEmpty();
        var withdrawn = await PostFormAsync(ui, "withdraw-newsletter");
        (await withdrawn.Content.ReadAsStringAsync()).ShouldContain("Saved. You withdrew your consent to Monthly newsletter.");
        (await CheckAsync("ana@example.com", "newsletter")).GetProperty("state").GetString().ShouldBe("withdrawn");

        // A refusal is a single click too, and is recorded as such (CNS011).
        (await AnswerAsync(ui, "ad-sharing", "withdrawn")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await CheckAsync("ana@example.com", "ad-sharing")).GetProperty("state").GetString().ShouldBe("refused");
    }

    [Fact]
    public async Task CNS015_CNS021_the_request_shows_who_what_which_data_how_to_withdraw_and_the_risks_and_is_kept_as_wording()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("ana@example.com");
        var sharing = Section(await ui.GetPageAsync(Page), "ad-sharing");
        sharing.ShouldContain("Acme Ltd (the controller). Questions: dpo@acme.example.");
        sharing.ShouldContain("We share your profile with advertising partners.");
        sharing.ShouldContain("AdNet Inc");
        sharing.ShouldContain("<dt>Automated decisions</dt>");
        sharing.ShouldContain("A score decides which offers you see.");
        sharing.ShouldContain("<dt>Transfers abroad</dt>");
        sharing.ShouldContain("Your data will be sent outside the UK and the EEA, to IN");
        sharing.ShouldContain("There is no adequacy decision and no appropriate safeguards");
        sharing.ShouldContain("<dt>Changing your mind</dt>");
        sharing.ShouldContain("Version 1 of our privacy notice");
        var kinds = new HtmlParser().ParseDocument(sharing).QuerySelectorAll("dt").First(d => d.TextContent == "Data we use").NextElementSibling!.TextContent;
        kinds.ShouldNotBeNullOrWhiteSpace();
        kinds.ShouldNotContain("privacy notice");

        // CNS015: the explicit purpose asks an express question, and the event keeps every word shown.
        var health = Section(await ui.GetPageAsync(Page), "health-research");
        health.ShouldContain("Do you explicitly agree that Acme Ltd uses your data for: Health research?");
        (await AnswerAsync(ui, "health-research", "given")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var wording = JsonDocument.Parse(await App.EvidenceAsync((await EventsAsync("health-research")).Single())).RootElement.GetProperty("wording").GetString()!;
        var shown = new HtmlParser().ParseDocument(health);
        foreach (var fact in shown.QuerySelectorAll("dt"))
        {
            wording.ShouldContain($"{fact.TextContent}: {fact.NextElementSibling!.TextContent}");
        }
        wording.ShouldEndWith(shown.QuerySelector("legend")!.TextContent);
        (await AllowedAsync("ana@example.com", "health-research")).ShouldBeTrue();
    }

    [Fact]
    public async Task CNS021_an_answer_to_text_that_changed_since_the_page_was_read_is_not_recorded()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("ana@example.com");
        var response = await AnswerAsync(ui, "newsletter", "given", new Dictionary<string, string> { ["Answer.Shown"] = "0000000000000000" });
        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await response.Content.ReadAsStringAsync()).ShouldContain("What we ask has changed");
        (await EventsAsync("newsletter")).ShouldBeEmpty();
    }

    [Fact]
    public async Task CNS016_a_child_under_the_threshold_waits_for_a_parent_who_confirms_by_the_emailed_link()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("kid@example.com");
        var missing = await AnswerAsync(ui, "kids-club", "given", new Dictionary<string, string> { ["Answer.Age"] = "10" });
        missing.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await missing.Content.ReadAsStringAsync()).ShouldContain("a parent or guardian must confirm");

        var asked = await AnswerAsync(ui, "kids-club", "given", new Dictionary<string, string> { ["Answer.Age"] = "10", ["Answer.ParentEmail"] = "parent@example.com" });
        (await asked.Content.ReadAsStringAsync()).ShouldContain("we have e-mailed your parent or guardian");
        (await CheckAsync("kid@example.com", "kids-club")).GetProperty("state").GetString().ShouldBe("pending-parent");
        var section = Section(await ui.GetPageAsync(Page), "kids-club");
        section.ShouldContain("Waiting for your parent or guardian. Because you are under 13");
        section.ShouldContain("Cancel my request");

        var mail = (await NewMailAsync()).Single(m => m.Purpose == "consent.parental");
        mail.To.ShouldBe("parent@example.com");
        var link = ParentalLink().Match(mail.Body);
        link.Success.ShouldBeTrue(mail.Body);
        var parent = App.Ui();
        var preview = await parent.GetPageAsync(link.Groups[1].Value);
        preview.ShouldContain("Your child, aged 10, asked to agree to: <strong>Kids club</strong>");
        (await AllowedAsync("kid@example.com", "kids-club")).ShouldBeFalse("opening the link changes nothing");

        var token = link.Groups[1].Value.Split("t=")[1];
        var confirmed = await parent.SubmitAsync(link.Groups[1].Value, "confirm", new Dictionary<string, string> { ["t"] = token });
        confirmed.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await confirmed.Content.ReadAsStringAsync()).ShouldContain("Thank you: you have confirmed.");
        (await AllowedAsync("kid@example.com", "kids-club")).ShouldBeTrue();
        (await ui.GetPageAsync(Page)).ShouldContain("<td>Your parent or guardian agreed for you</td>");

        // CNS009 for parental links: an altered one is refused and records nothing.
        var events = (await EventsAsync("kids-club")).Count;
        var tampered = await App.Ui().GetAsync(link.Groups[1].Value[..^2] + (link.Groups[1].Value.EndsWith("aa", StringComparison.Ordinal) ? "bb" : "aa"));
        tampered.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await tampered.Content.ReadAsStringAsync()).ShouldContain("This confirmation link is not valid");
        (await App.Ui().GetAsync("/privacy/parental-consent?t=garbage")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await EventsAsync("kids-club")).Count.ShouldBe(events);
    }

    [Fact]
    public async Task CNS016_a_parental_link_overtaken_by_the_childs_later_choice_is_a_conflict()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("kid@example.com");
        await AnswerAsync(ui, "kids-club", "given", new Dictionary<string, string> { ["Answer.Age"] = "10", ["Answer.ParentEmail"] = "parent@example.com" });
        var link = ParentalLink().Match((await NewMailAsync()).Single(m => m.Purpose == "consent.parental").Body).Groups[1].Value;
        (await PostFormAsync(ui, "withdraw-kids-club")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var stale = await App.Ui().GetAsync(link);
        stale.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await stale.Content.ReadAsStringAsync()).ShouldContain("Your child has changed this choice");
        (await AllowedAsync("kid@example.com", "kids-club")).ShouldBeFalse();
    }

    [Fact]
    public async Task CNS017_the_gpc_signal_from_a_verified_session_withdraws_sale_or_sharing_once_and_a_later_given_stands()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("ana@example.com");
        await AnswerAsync(ui, "ad-sharing", "given");
        await AnswerAsync(ui, "newsletter", "given");
        (await AllowedAsync("ana@example.com", "ad-sharing")).ShouldBeTrue();

        ui.Client.DefaultRequestHeaders.Add("Sec-GPC", "1");
        var page = await ui.GetPageAsync("/privacy");
        page.ShouldContain("Your browser's Global Privacy Control signal was honoured");
        page.ShouldContain("We have just stopped: Sharing with advertisers.");
        (await CheckAsync("ana@example.com", "ad-sharing")).GetProperty("state").GetString().ShouldBe("withdrawn");
        (await AllowedAsync("ana@example.com", "newsletter")).ShouldBeTrue("only sale-or-sharing purposes are affected");
        var gpc = (await EventsAsync("ad-sharing")).Single(e => e.Method == "gpc");
        gpc.Actor.ShouldBe("system:gpc");
        gpc.Action.ShouldBe("withdrawn");
        Section(await ui.GetPageAsync(Page), "ad-sharing").ShouldContain("Withdrawn because your browser sent a Global Privacy Control signal");

        // The person then says yes explicitly, with the signal still on: that choice stands, without asking again.
        (await AnswerAsync(ui, "ad-sharing", "given")).StatusCode.ShouldBe(HttpStatusCode.OK);
        for (var i = 0; i < 2; i++)
        {
            var again = await ui.GetPageAsync(Page);
            again.ShouldContain("Global Privacy Control signal was honoured");
            again.ShouldNotContain("We have just stopped");
        }
        (await AllowedAsync("ana@example.com", "ad-sharing")).ShouldBeTrue();
        (await EventsAsync("ad-sharing")).Count(e => e.Method == "gpc").ShouldBe(1);
    }

    [Fact]
    public async Task CNS017_an_unverified_visitors_signal_is_only_noted_and_gpc_json_declares_support()
    {
        await ArrangeAsync();
        (await Staff.PostAsJsonAsync("/api/consent/events", new
        {
            subject = "ana@example.com",
            purpose = "ad-sharing",
            action = "given",
            noticeVersion = "1",
            method = "web",
        })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var visitor = App.Ui();
        visitor.Client.DefaultRequestHeaders.Add("Sec-GPC", "1");
        var page = await visitor.GetPageAsync(Page);
        page.ShouldContain("Your browser sent a Global Privacy Control signal, and we have detected it.");
        (await AllowedAsync("ana@example.com", "ad-sharing")).ShouldBeTrue();
        (await App.Ui().GetPageAsync(Page)).ShouldNotContain("Global Privacy Control");

        var declaration = await App.Client().GetAsync("/.well-known/gpc.json");
        declaration.StatusCode.ShouldBe(HttpStatusCode.OK);
        declaration.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var json = JsonDocument.Parse(await declaration.Content.ReadAsStringAsync()).RootElement;
        json.GetProperty("gpc").GetBoolean().ShouldBeTrue();
        json.GetProperty("lastUpdate").GetString()!.ShouldMatch(@"^\d{4}-\d{2}-\d{2}$");
    }

    [Fact]
    public async Task CNS020_an_objection_to_direct_marketing_is_one_click_set_apart_and_suppresses()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("ana@example.com");
        await AnswerAsync(ui, "newsletter", "given");
        var section = Section(await ui.GetPageAsync(Page), "newsletter");
        var box = new HtmlParser().ParseDocument(section).QuerySelector("aside.objection");
        box.ShouldNotBeNull();
        box.TextContent.ShouldContain("You have the right to object to direct marketing at any time");
        Section(await ui.GetPageAsync(Page), "ad-sharing").ShouldNotContain("right to object to direct marketing");

        var objected = await PostFormAsync(ui, "object-newsletter");
        objected.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await objected.Content.ReadAsStringAsync()).ShouldContain("We do not send you direct marketing for this.");
        (await AllowedAsync("ana@example.com", "newsletter")).ShouldBeFalse();
        await using var scope = App.Services.CreateAsyncScope();
        (await scope.ServiceProvider.GetRequiredService<Dataward.Consent.ConsentService>().IsSuppressedAsync("ana@example.com", "newsletter")).ShouldBeTrue();
        (await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentSuppressionRecord>().SingleAsync())).Reason.ShouldBe("objection");
        var objection = (await EventsAsync("newsletter")).Single(e => e.Action == "withdrawn");
        JsonDocument.Parse(await App.EvidenceAsync(objection)).RootElement.GetProperty("formId").GetString().ShouldBe("preference-centre-objection");
        (await ui.GetPageAsync(Page)).ShouldContain("<td>You objected to direct marketing</td>");
    }

    [Fact]
    public async Task CNS019_the_session_ends_after_thirty_minutes_and_a_late_answer_records_nothing()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("ana@example.com");
        var html = await ui.GetPageAsync(Page);
        var form = new HtmlParser().ParseDocument(html).QuerySelectorAll("form")
            .First(f => f.QuerySelector("input[name=_handler][value='answer-newsletter']") is not null);
        var fields = form.QuerySelectorAll("input[type=hidden]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value") ?? "");
        fields["Answer.Answer"] = "given";
        App.Time.Advance(TimeSpan.FromMinutes(31));
        var late = await ui.Client.PostAsync(Page, new FormUrlEncodedContent(fields));
        late.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await late.Content.ReadAsStringAsync()).ShouldContain("Confirm your e-mail address again; nothing was recorded.");
        (await EventsAsync("newsletter")).ShouldBeEmpty();
        (await ui.GetPageAsync(Page)).ShouldContain("Send me a code");
    }

    [Fact]
    public async Task CNS019_the_pages_are_usable_without_a_mouse_or_sight()
    {
        await ArrangeAsync();
        var ui = App.Ui();
        var pages = new List<(string Name, string Path, string Html)>
        {
            ("start", "/privacy", await ui.GetPageAsync("/privacy")),
            ("notice", "/privacy/notice", await ui.GetPageAsync("/privacy/notice")),
            ("e-mail", Page, await ui.GetPageAsync(Page)),
        };
        pages.Add(("code", Page, await (await AskForCodeAsync(ui, "kid@example.com")).Content.ReadAsStringAsync()));
        await EnterCodeAsync(ui, "kid@example.com", await CodeSentToAsync("kid@example.com"));
        pages.Add(("choices", Page, await ui.GetPageAsync(Page)));
        foreach (var (name, path, html) in pages)
        {
            var document = new HtmlParser().ParseDocument(html);
            document.DocumentElement.GetAttribute("lang").ShouldBe("en", name);
            document.QuerySelectorAll("h1").Length.ShouldBe(1, name);
            // Resolved as a browser does, against <base href="/">: the skip link stays on this page (a bare "#main" went home).
            var skip = document.QuerySelector("a.skip-link")!;
            var target = new Uri(new Uri("http://localhost/"), skip.GetAttribute("href"));
            (target.AbsolutePath + target.Fragment).ShouldBe(path + "#main", name);
            skip.GetAttribute("data-enhance-nav").ShouldBe("false", $"{name}: enhanced navigation would only scroll, leaving the focus behind");
            document.QuerySelector("main#main").ShouldNotBeNull(name);
            document.QuerySelector("header nav a").ShouldNotBeNull(name);
            document.QuerySelectorAll("nav a").Select(a => a.GetAttribute("href")).ShouldNotContain("/register", name);
            foreach (var field in document.QuerySelectorAll("input:not([type=hidden]), select, textarea"))
            {
                var id = field.GetAttribute("id");
                var labelled = (id is not null && document.QuerySelector($"label[for='{id}']") is { } label && label.TextContent.Trim().Length > 0)
                               || field.Closest("label") is not null || field.HasAttribute("aria-label");
                labelled.ShouldBeTrue($"{name}: {field.OuterHtml} has no label");
                field.HasAttribute("checked").ShouldBeFalse($"{name}: {field.OuterHtml} is pre-checked (CNS004)");
            }
            document.QuerySelectorAll("[tabindex]").Select(e => int.Parse(e.GetAttribute("tabindex")!, System.Globalization.CultureInfo.InvariantCulture))
                .ShouldAllBe(t => t <= 0, name);
            document.QuerySelectorAll("button").ShouldAllBe(b => b.TextContent.Trim().Length > 0, name);
            foreach (var fieldset in document.QuerySelectorAll("fieldset"))
            {
                fieldset.FirstElementChild!.LocalName.ShouldBe("legend", name);
            }
        }
        var choices = new HtmlParser().ParseDocument(pages[^1].Html);
        // One fieldset and legend per purpose's question, with the age and parent's address fields inside it.
        choices.QuerySelectorAll("section.purpose").Length.ShouldBe(5);
        choices.QuerySelectorAll("section.purpose fieldset legend").Length.ShouldBe(5);
        choices.QuerySelector("#purpose-kids-club fieldset input[name='Answer.Age']").ShouldNotBeNull();
    }

    [Fact]
    public async Task The_notice_pages_show_the_current_version_safely_and_every_earlier_one()
    {
        await ArrangeAsync();
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await PublishAsync(dpo, "Privacy notice 2026", "# What we do\n\n<script>alert(1)</script> [click](javascript:alert(1)) [ours](https://acme.example/privacy)", "newsletter");
        var ui = App.Ui();
        var current = await ui.GetPageAsync("/privacy/notice");
        current.ShouldContain("<h1>Privacy notice 2026</h1>");
        current.ShouldContain("<h2");
        current.ShouldContain("What we do");
        current.ShouldNotContain("<script>alert");
        current.ShouldContain("&lt;script&gt;");
        current.ShouldNotContain("javascript:");
        current.ShouldContain("href=\"https://acme.example/privacy\"");
        current.ShouldContain("href=\"/privacy/notice/1\"");
        var earlier = await ui.GetPageAsync("/privacy/notice/1");
        earlier.ShouldContain("<h1>Privacy notice</h1>");
        earlier.ShouldContain("This is an earlier version.");
        (await ui.GetAsync("/privacy/notice/7")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var home = await ui.GetPageAsync("/privacy");
        home.ShouldContain("Acme Ltd");
        home.ShouldContain("dpo@acme.example");
        home.ShouldContain("href=\"/privacy/notice\"");
        home.ShouldContain("href=\"/privacy/preferences\"");
    }

    [Fact]
    public async Task CNS018_after_a_substantial_notice_change_the_person_is_asked_to_confirm_again_and_can()
    {
        await ArrangeAsync();
        var ui = await VerifiedAsync("ana@example.com");
        await AnswerAsync(ui, "newsletter", "given");
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var draft = await (await dpo.PostAsJsonAsync("/api/notices", new
        {
            language = "en",
            title = "Privacy notice",
            body = "We now also send offers.",
            substantial = true,
            purposes = new[] { "newsletter" },
        })).Content.ReadFromJsonAsync<JsonElement>();
        (await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await NewMailAsync()).ShouldContain(m => m.Purpose == "consent.renewal" && m.Body.Contains("/privacy/preferences"));

        var section = Section(await ui.GetPageAsync(Page), "newsletter");
        section.ShouldContain("Please confirm again: we changed our privacy notice");
        section.ShouldContain("Version 2 of our privacy notice");
        section.ShouldContain("Yes, I agree");
        (await AnswerAsync(ui, "newsletter", "given")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var check = await CheckAsync("ana@example.com", "newsletter");
        (check.GetProperty("state").GetString(), check.GetProperty("noticeVersion").GetString()).ShouldBe(("given", "2"));
    }

    [Fact]
    public async Task CNS009_an_expired_withdrawal_link_offers_the_preference_centre()
    {
        await ArrangeAsync();
        (await Staff.PostAsJsonAsync("/api/consent/events", new
        {
            subject = "ana@example.com",
            purpose = "newsletter",
            action = "given",
            noticeVersion = "1",
            method = "web",
        })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var link = WithdrawLink().Match((await NewMailAsync()).Single(m => m.Purpose == "consent.receipt").Body).Groups[1].Value;
        App.Time.Advance(TimeSpan.FromDays(91));
        var page = await App.Ui().GetPageAsync(link);
        page.ShouldContain("This link has expired");
        page.ShouldContain("href=\"/privacy/preferences\"");
        var ui = await VerifiedAsync("ana@example.com");
        (await PostFormAsync(ui, "withdraw-newsletter")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await AllowedAsync("ana@example.com", "newsletter")).ShouldBeFalse();
    }

    /// <summary>The HTML of one purpose's section of the preference page.</summary>
    private static string Section(string page, string purpose) =>
        new HtmlParser().ParseDocument(page).QuerySelector($"#purpose-{purpose}")?.OuterHtml ?? throw new ShouldAssertException($"no section for {purpose}");

    [GeneratedRegex(@"Your code is: (\d{6})")]
    private static partial Regex CodeInMessage();

    [GeneratedRegex(@"https?://[^/\s]+(/privacy/parental-consent\?t=[A-Za-z0-9._-]+)")]
    private static partial Regex ParentalLink();

    [GeneratedRegex(@"https?://[^/\s]+(/privacy/withdraw\?t=[A-Za-z0-9._-]+)")]
    private static partial Regex WithdrawLink();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"[^\"]+\"")]
    private static partial Regex AntiforgeryValue();
}
