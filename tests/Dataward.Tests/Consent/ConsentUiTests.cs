using System.Net;
using System.Net.Http.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
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
}
