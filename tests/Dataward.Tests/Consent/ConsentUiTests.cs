using System.Net;
using System.Net.Http.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Dataward.Tests.Shredding;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Consent;

/// <summary>The staff pages for purposes and notices.</summary>
public sealed class ConsentUiTests() : AppTest(StorageProvider.Sqlite)
{
    [Fact]
    public async Task The_dpo_defines_a_purpose_drafts_a_notice_covering_it_and_publishes_it()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var added = await ui.SubmitAsync("/consent", "purpose", new Dictionary<string, string>
        {
            ["Input.Key"] = "newsletter",
            ["Input.Title"] = "Monthly newsletter",
            ["Input.Description"] = "News, once a month.",
            ["Input.DirectMarketing"] = "true",
        });
        var page = await added.Content.ReadAsStringAsync();
        page.ShouldContain("Added newsletter.");
        page.ShouldContain("direct marketing");
        var refused = await ui.SubmitAsync("/consent", "purpose", new Dictionary<string, string>
        {
            ["Input.Key"] = "Bad Key",
            ["Input.Title"] = "x",
            ["Input.Description"] = "y",
        });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("CNS002");

        (await ui.SubmitAsync("/notices", "notice", new Dictionary<string, string>
        {
            ["Input.Title"] = "Privacy notice",
            ["Input.Language"] = "en",
            ["Input.Body"] = "# How we use your data",
            ["Input.Purposes"] = "newsletter",
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var notice = await App.WithDbAsync(db => db.Set<Dataward.Notices.NoticeRecord>().SingleAsync());
        var published = await ui.SubmitAsync("/notices", $"publish-{notice.Id}", new Dictionary<string, string> { ["Publish.Id"] = notice.Id.ToString() });
        (await published.Content.ReadAsStringAsync()).ShouldContain("Published as version 1.");

        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var staff = App.Ui();
        await staff.SignInAsync("staff@example.org");
        var view = await staff.GetPageAsync("/consent");
        view.ShouldContain("Monthly newsletter");
        view.ShouldNotContain("Add purpose");
    }

    [Fact]
    public async Task CNS018_the_dpo_publishes_a_substantial_change_from_the_notices_page_and_sees_how_many_renewed()
    {
        var api = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await api.PostAsJsonAsync("/api/consent/purposes", new { key = "newsletter", title = "Monthly newsletter", description = "News." });
        var draft = await (await api.PostAsJsonAsync("/api/notices", new { language = "en", title = "N", body = "B", purposes = new[] { "newsletter" } }))
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        await api.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null);
        (await api.PostAsJsonAsync("/api/consent/events", new { subject = "ana@example.com", purpose = "newsletter", action = "given", noticeVersion = "1", method = "web" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);

        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        (await ui.SubmitAsync("/notices", "notice", new Dictionary<string, string>
        {
            ["Input.Title"] = "Privacy notice",
            ["Input.Language"] = "en",
            ["Input.Body"] = "# We now share with partners",
            ["Input.Purposes"] = "newsletter",
            ["Input.Substantial"] = "true",
            ["Input.ChangedPurposes"] = "newsletter",
            ["Input.RenewBy"] = "2027-01-31",
        })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var notice = await App.WithDbAsync(db => db.Set<Dataward.Notices.NoticeRecord>().SingleAsync(n => n.Version == null));
        notice.RenewBy.ShouldBe(new DateTimeOffset(2027, 1, 31, 0, 0, 0, TimeSpan.Zero));
        var published = await (await ui.SubmitAsync("/notices", $"publish-{notice.Id}", new Dictionary<string, string> { ["Publish.Id"] = notice.Id.ToString() }))
            .Content.ReadAsStringAsync();
        published.ShouldContain("Published as version 2. 1 consents need renewing");
        published.ShouldContain("0 of 1 renewed");
        published.ShouldContain("earlier consents count until 2027-01-31");
    }

    [Fact]
    public async Task Staff_record_a_backdated_paper_consent_with_its_document_and_the_check_answers_from_it()
    {
        var api = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await api.PostAsJsonAsync("/api/consent/purposes", new { key = "research", title = "Health research", description = "Studies.", @explicit = true });
        var draft = await (await api.PostAsJsonAsync("/api/notices", new { language = "en", title = "N", body = "B", purposes = new[] { "research" } }))
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        await api.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null);
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var form = new Dictionary<string, string>
        {
            ["Input.Subject"] = "CUST-1234",
            ["Input.Purpose"] = "research",
            ["Input.Action"] = "given",
            ["Input.Method"] = "paper",
            ["Input.OccurredAt"] = App.Time.GetUtcNow().AddDays(-3).ToString("yyyy-MM-ddTHH:mm", System.Globalization.CultureInfo.InvariantCulture),
            ["Input.NoticeVersion"] = "1",
            ["Input.Wording"] = "I agree to my health records being used for research",
        };
        // CNS015: explicit consent on paper needs the scan's reference.
        var refused = await ui.SubmitAsync("/consent/record", "record", form);
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("CNS015");

        form["Input.DocumentRef"] = "scan-2026-0042";
        var recorded = await ui.SubmitAsync("/consent/record", "record", form);
        (await recorded.Content.ReadAsStringAsync()).ShouldContain("now given");
        var stored = await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().SingleAsync());
        stored.Method.ShouldBe("paper");
        stored.Actor.ShouldStartWith("user:");
        stored.OccurredAt.ShouldBe(App.Time.GetUtcNow().AddDays(-3), TimeSpan.FromMinutes(1));
        (await App.EvidenceAsync(stored)).ShouldContain("scan-2026-0042");
        (await api.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/consent/check?subject=CUST-1234&purpose=research")).GetProperty("allowed").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task The_dpo_links_a_new_purpose_to_the_register_activities_that_rely_on_it()
    {
        var api = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var activity = await api.PostAsync("/api/register/activities", new StringContent(Dataward.Tests.Register.RegisterApiTests.CustomerAccounts,
            System.Text.Encoding.UTF8, "application/json"));
        activity.StatusCode.ShouldBe(HttpStatusCode.Created, await activity.Content.ReadAsStringAsync());
        var id = (await activity.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var page = await ui.GetPageAsync("/consent");
        page.ShouldContain("Customer accounts");
        var added = await ui.SubmitAsync("/consent", "purpose", new Dictionary<string, string>
        {
            ["Input.Key"] = "newsletter",
            ["Input.Title"] = "Monthly newsletter",
            ["Input.Description"] = "News, once a month.",
            ["Input.Activities"] = id.ToString(),
        });
        (await added.Content.ReadAsStringAsync()).ShouldContain($"href=\"/register/{id}\"");
        var purpose = await api.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/consent/purposes/newsletter");
        purpose.GetProperty("activities")[0].GetGuid().ShouldBe(id);
    }
}
