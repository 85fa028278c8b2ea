using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Consent;

/// <summary>The staff pages of the ledger, driven like a browser without JavaScript: a person's record and the chart.</summary>
public sealed partial class ConsentStaffUiTests() : AppTest(StorageProvider.Sqlite)
{
    private async Task ArrangeAsync()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        foreach (var (key, title) in new[] { ("newsletter", "Monthly newsletter"), ("offers", "Partner offers") })
        {
            (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key, title, description = "Shown to people." })).StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var draft = await (await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title = "Notice", body = "Our notice text.", purposes = new[] { "newsletter", "offers" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null);
        var app = await App.ClientWithRoleAsync(StaffRoles.Staff);
        foreach (var (subject, purpose, action) in new[] { ("ana@example.com", "newsletter", "given"), ("bo@example.com", "newsletter", "given"), ("ana@example.com", "offers", "given"), ("ana@example.com", "newsletter", "withdrawn") })
        {
            (await app.PostAsJsonAsync("/api/consent/events", new
            {
                subject,
                purpose,
                action,
                noticeVersion = action == "given" ? "1" : null,
                method = "web",
                evidence = new { formId = "signup", wording = $"Yes to {purpose}" },
            })).StatusCode.ShouldBe(HttpStatusCode.Created);
        }
    }

    [Fact]
    public async Task CNS023_the_dpo_opens_a_persons_record_by_posting_the_identifier_and_the_opening_is_audited()
    {
        await ArrangeAsync();
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        (await ui.GetPageAsync("/consent")).ShouldContain("href=\"/consent/subjects\"");

        var response = await ui.SubmitAsync("/consent/subjects", "subject", new Dictionary<string, string> { ["Search.Subject"] = " Ana@Example.com " });
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var page = await response.Content.ReadAsStringAsync();
        page.ShouldContain("ana@example.com");
        page.ShouldContain("Yes to newsletter");
        page.ShouldContain("href=\"/api/notices/versions/1\"");
        page.ShouldContain("?format=iso-27560");
        page.ShouldContain("Download proof (HTML)");
        Regex.Count(page, "<td>withdrawn</td>").ShouldBe(2, "the newsletter's state and its latest event");
        var viewed = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "consent.history_viewed"));
        viewed.Details.ShouldContain("\"via\":\"ui\"");
        viewed.Target.ShouldStartWith("consent-subject:");
        viewed.Details.ShouldNotContain("ana", Case.Insensitive);

        // The proof button posts the identifier too, with the page's antiforgery token, and gets a file back.
        var token = AntiforgeryField().Matches(page).Last().Groups[1].Value;
        var proof = await ui.Client.PostAsync("/consent/subjects/proof", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["subject"] = "ana@example.com",
            ["format"] = "html",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
        }));
        proof.StatusCode.ShouldBe(HttpStatusCode.OK, await proof.Content.ReadAsStringAsync());
        proof.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        (await proof.Content.ReadAsStringAsync()).ShouldContain("Yes to offers");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "consent.proof_exported"))).ShouldBe(1);
        // Without the token, nothing is exported.
        var forged = await ui.Client.PostAsync("/consent/subjects/proof", new FormUrlEncodedContent(new Dictionary<string, string> { ["subject"] = "ana@example.com" }));
        ((int)forged.StatusCode).ShouldBe(400);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "consent.proof_exported"))).ShouldBe(1);

        var empty = await ui.SubmitAsync("/consent/subjects", "subject", new Dictionary<string, string> { ["Search.Subject"] = "" });
        empty.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task CNS023_staff_without_an_authorised_role_cannot_open_a_persons_record()
    {
        await ArrangeAsync();
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var response = await ui.GetAsync("/consent/subjects");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldContain("/account/access-denied");
        (await ui.GetPageAsync("/consent")).ShouldNotContain("href=\"/consent/subjects\"");
    }

    [Fact]
    public async Task The_consent_page_charts_people_consenting_with_one_line_per_purpose_and_a_table()
    {
        await ArrangeAsync();
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var page = await ui.GetPageAsync("/consent");
        page.ShouldContain("<svg");
        page.ShouldContain("role=\"img\"");
        Regex.Matches(page, "data-series=\"([a-z-]+)\"").Select(m => m.Groups[1].Value).ShouldBe(["newsletter", "offers"]);
        Regex.Count(page, "<polyline").ShouldBe(2);
        page.ShouldContain("<title id=\"consent-chart-title\">");
        page.ShouldContain("<desc id=\"consent-chart-desc\">");
        page.ShouldContain("Monthly newsletter 1; Partner offers 1");
        page.ShouldContain("<details>");
        page.ShouldContain("People consenting");

        var trends = await ui.GetPageAsync("/consent/trends?from=2026-01-01&to=2026-12-31");
        trends.ShouldContain("by week");
        Regex.Count(trends, "<polyline").ShouldBe(2);
        (await ui.GetPageAsync("/consent/trends?from=2026-12-31&to=2026-01-01")).ShouldContain("Showing the last 90 days instead");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
