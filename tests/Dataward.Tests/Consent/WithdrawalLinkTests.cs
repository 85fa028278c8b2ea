using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Consent;

public sealed class WithdrawalLinkTests_Sqlite() : WithdrawalLinkTests(StorageProvider.Sqlite);

public sealed class WithdrawalLinkTests_Postgres() : WithdrawalLinkTests(StorageProvider.Postgres);

/// <summary>CNS007-CNS010: the receipt e-mail's one-click withdrawal link.</summary>
public abstract partial class WithdrawalLinkTests(StorageProvider provider) : AppTest(provider)
{
    private async Task<(HttpClient App, string Path)> GiveConsentAsync()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "newsletter", title = "Monthly newsletter", description = "News, once a month." });
        var draft = await (await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title = "Notice", body = "Text", purposes = new[] { "newsletter" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var version = (await (await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null)).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("version").GetString();
        var app = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await app.PostAsJsonAsync("/api/consent/events", new { subject = "ana@example.com", purpose = "newsletter", action = "given", noticeVersion = version, method = "web" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var message = (await App.WithDbAsync(db => db.Set<Dataward.Platform.Email.OutboxMessage>().SingleAsync(m => m.Purpose == "consent.receipt"))).Decrypted(App);
        message.Subject.ShouldBe("Your consent: Monthly newsletter");
        message.To.ShouldNotContain("ana@");
        var link = Link().Match(message.Body);
        link.Success.ShouldBeTrue(message.Body);
        return (app, link.Groups[1].Value);
    }

    private static async Task<bool> AllowedAsync(HttpClient app) =>
        (await app.GetFromJsonAsync<JsonElement>("/api/consent/check?subject=ana@example.com&purpose=newsletter")).GetProperty("allowed").GetBoolean();

    private async Task<int> EventsAsync() => await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().CountAsync());

    [Fact]
    public async Task The_receipt_link_withdraws_in_one_click_without_signing_in_and_only_on_post()
    {
        var (app, path) = await GiveConsentAsync();
        var person = App.Ui();
        var page = await person.GetPageAsync(path);
        page.ShouldContain("Monthly newsletter");
        page.ShouldContain(">Withdraw</button>");
        (await AllowedAsync(app)).ShouldBeTrue("opening the link changes nothing");

        var done = await person.SubmitAsync(path, "withdraw", new Dictionary<string, string> { ["t"] = path.Split("t=")[1] });
        (await done.Content.ReadAsStringAsync()).ShouldContain("Your consent is withdrawn", customMessage: $"{(int)done.StatusCode} {done.Headers.Location} {string.Join("\n", App.Logs.Lines.Where(l => l.Contains("Exception") || l.StartsWith("Warn", StringComparison.Ordinal)).Take(3))}");
        (await AllowedAsync(app)).ShouldBeFalse();
        (await EventsAsync()).ShouldBe(2);
        var withdrawal = await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().SingleAsync(e => e.Action == "withdrawn"));
        withdrawal.Method.ShouldBe("email-link");
        withdrawal.Actor.ShouldBe("subject");

        // CNS009: using the link again is harmless: it says so, and offers nothing more to do.
        var again = await App.Ui().GetPageAsync(path);
        again.ShouldContain("Your consent is withdrawn");
        again.ShouldNotContain(">Withdraw</button>");
        (await EventsAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task A_tampered_link_is_refused_and_records_nothing()
    {
        var (app, path) = await GiveConsentAsync();
        var token = path.Split("t=")[1];
        var forged = token.Replace(".newsletter.", ".marketing.", StringComparison.Ordinal);
        var person = App.Ui();
        var response = await person.GetAsync($"/privacy/withdraw?t={forged}");
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("not valid");
        (await person.GetAsync("/privacy/withdraw?t=garbage")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await AllowedAsync(app)).ShouldBeTrue();
        (await EventsAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task An_expired_link_withdraws_nothing_and_says_how_else_to_withdraw()
    {
        var (app, path) = await GiveConsentAsync();
        App.Time.Advance(TimeSpan.FromDays(91));
        var person = App.Ui();
        (await person.GetPageAsync(path)).ShouldContain("This link has expired");
        (await AllowedAsync(app)).ShouldBeTrue();
    }

    [Fact]
    public async Task CNS008_marketing_mail_gets_list_unsubscribe_headers_whose_one_click_post_withdraws_without_a_form()
    {
        var (app, _) = await GiveConsentAsync();
        var links = await app.PostAsJsonAsync("/api/consent/links", new { subject = "ana@example.com", purpose = "newsletter" });
        links.StatusCode.ShouldBe(HttpStatusCode.OK, await links.Content.ReadAsStringAsync());
        var body = await links.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("headers").GetProperty("List-Unsubscribe-Post").GetString().ShouldBe("List-Unsubscribe=One-Click");
        var oneClick = new Uri(body.GetProperty("oneClickUrl").GetString()!).PathAndQuery;
        body.GetProperty("headers").GetProperty("List-Unsubscribe").GetString().ShouldEndWith($"{oneClick}>");
        (await app.PostAsJsonAsync("/api/consent/links", new { subject = "nobody@example.com", purpose = "newsletter" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // A mail client posts once, with no cookie and no antiforgery token; a prefetching GET changes nothing.
        var mailClient = App.Client();
        (await mailClient.GetAsync(oneClick)).IsSuccessStatusCode.ShouldBeFalse();
        (await AllowedAsync(app)).ShouldBeTrue();
        (await mailClient.PostAsync(oneClick.Replace("newsletter.", "marketing.", StringComparison.Ordinal),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var done = await mailClient.PostAsync(oneClick, new FormUrlEncodedContent(new Dictionary<string, string> { ["List-Unsubscribe"] = "One-Click" }));
        done.StatusCode.ShouldBe(HttpStatusCode.OK, await done.Content.ReadAsStringAsync());
        (await AllowedAsync(app)).ShouldBeFalse();
        (await EventsAsync()).ShouldBe(2);
    }

    [GeneratedRegex(@"https?://[^/\s]+(/privacy/withdraw\?t=[A-Za-z0-9._-]+)")]
    private static partial Regex Link();
}
