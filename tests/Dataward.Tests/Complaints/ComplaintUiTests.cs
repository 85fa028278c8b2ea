using System.Net;
using Dataward.Complaints;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Complaints;

/// <summary>The complaint pages, driven as a browser without JavaScript would.</summary>
public sealed class ComplaintUiTests() : AppTest(StorageProvider.Sqlite)
{
    [Fact]
    public async Task Staff_log_a_letter_acknowledge_it_and_send_the_outcome_from_the_complaint_page()
    {
        await App.CreateUserAsync("sam@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("sam@example.org");
        var refused = await ui.SubmitAsync("/complaints/new", "new-complaint", new Dictionary<string, string>
        {
            ["Input.Channel"] = "post",
            ["Input.Name"] = "Pat Smith",
            ["Input.Subject"] = "Wrong address",
            ["Input.Details"] = "You keep writing to my old address.",
        });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("Record how to reply");

        var logged = await ui.SubmitAsync("/complaints/new", "new-complaint", new Dictionary<string, string>
        {
            ["Input.Channel"] = "email",
            ["Input.ReceivedOn"] = "2026-11-20",
            ["Input.Name"] = "Pat Smith",
            ["Input.Email"] = "pat@example.org",
            ["Input.Subject"] = "Wrong address",
            ["Input.Details"] = "You keep writing to my old address.",
        });
        logged.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var path = logged.Headers.Location!.AbsolutePath;
        var page = await ui.GetPageAsync(logged.Headers.Location.PathAndQuery);
        page.ShouldContain("Logged as CMP-2026-0001. Acknowledge it by 2026-12-19.");
        page.ShouldContain("pat@example.org");

        var list = await ui.GetPageAsync("/complaints");
        list.ShouldContain("CMP-2026-0001");
        list.ShouldContain("2026-12-19 23:59 UTC");

        var acknowledged = await ui.SubmitAsync(path, "acknowledge", new Dictionary<string, string> { ["Ack.Method"] = "email" });
        acknowledged.StatusCode.ShouldBe(HttpStatusCode.OK, await acknowledged.Content.ReadAsStringAsync());
        (await acknowledged.Content.ReadAsStringAsync()).ShouldContain("Acknowledgement recorded.");

        var answered = await ui.SubmitAsync(path, "respond", new Dictionary<string, string>
        {
            ["Reply.Result"] = "upheld",
            ["Reply.Outcome"] = "We have corrected your address everywhere.",
            ["Reply.Method"] = "email",
        });
        answered.StatusCode.ShouldBe(HttpStatusCode.OK);
        var answer = await answered.Content.ReadAsStringAsync();
        answer.ShouldContain("Outcome recorded; it tells the person of their right to complain to the ICO.");
        answer.ShouldContain("The outcome as sent");
        answer.ShouldContain("https://ico.org.uk/make-a-complaint/");

        var purposes = await App.WithDbAsync(db => db.Set<OutboxMessage>().Select(m => m.Purpose).ToListAsync());
        purposes.Order().ShouldBe(["complaints.acknowledgement", "complaints.outcome"]);
        (await App.WithDbAsync(db => db.Set<Complaint>().SingleAsync())).Status.ShouldBe("responded");
    }

    [Fact]
    public async Task The_privacy_centre_offers_the_complaint_form_with_every_field_labelled()
    {
        var home = await App.Ui().GetPageAsync("/privacy");
        home.ShouldContain("href=\"/privacy/complaints\"");
        var form = await App.Ui().GetPageAsync("/privacy/complaints");
        foreach (var id in new[] { "name", "email", "subject", "details" })
        {
            form.ShouldContain($"<label for=\"{id}\"");
            form.ShouldContain($"id=\"{id}\"");
        }
        form.ShouldContain("autocomplete=\"email\"");
        form.ShouldContain("name=\"__RequestVerificationToken\"", customMessage: "a plain form post, no script needed");
    }
}
