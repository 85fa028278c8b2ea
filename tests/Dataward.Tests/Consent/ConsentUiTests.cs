using System.Net;
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
}
