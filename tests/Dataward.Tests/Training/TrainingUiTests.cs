using System.Net;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Dataward.Training;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Training;

/// <summary>The training pages, driven as a browser without JavaScript would.</summary>
public sealed class TrainingUiTests() : AppTest(StorageProvider.Sqlite)
{
    [Fact]
    public async Task The_dpo_adds_a_course_imports_staff_records_a_completion_and_sees_who_is_overdue()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");

        var refused = await ui.SubmitAsync("/training/courses", "course", new Dictionary<string, string>
        {
            ["Input.Title"] = "Annual refresher",
            ["Input.Kind"] = "refresher",
            ["Input.ValidityMonths"] = "0",
            ["Input.Mandatory"] = "true",
        });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("(ACC015)");
        var added = await ui.SubmitAsync("/training/courses", "course", new Dictionary<string, string>
        {
            ["Input.Title"] = "Annual refresher",
            ["Input.Kind"] = "refresher",
            ["Input.ValidityMonths"] = "12",
            ["Input.Mandatory"] = "true",
        });
        added.StatusCode.ShouldBe(HttpStatusCode.OK);
        var courses = await added.Content.ReadAsStringAsync();
        courses.ShouldContain("Course added: Annual refresher.");
        courses.ShouldContain("12 months");
        courses.ShouldContain("all staff");

        var bad = await ui.SubmitAsync("/training/import", "import", new Dictionary<string, string>
        {
            ["Input.Csv"] = "name,email,start date\nAda Lovelace,ada@example.org,2026-01-05\nGrace Hopper,grace@,2026-13-01",
        });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var errors = await bad.Content.ReadAsStringAsync();
        errors.ShouldContain("Nothing was imported.");
        errors.ShouldContain("Line 3: This is not an e-mail address.");
        errors.ShouldContain("Line 3: The start date is not a date: write it as yyyy-MM-dd");
        (await App.WithDbAsync(db => db.Set<StaffMember>().CountAsync())).ShouldBe(0);

        var good = await ui.SubmitAsync("/training/import", "import", new Dictionary<string, string>
        {
            ["Input.Csv"] = "name,email,start date,department\nAda Lovelace,ada@example.org,2026-01-05,Finance\nGrace Hopper,grace@example.org,2026-11-01,HR",
        });
        good.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await good.Content.ReadAsStringAsync()).ShouldContain("Imported 2 lines: 2 added, 0 updated, 0 unchanged.");

        var status = await ui.GetPageAsync("/training?status=overdue");
        status.ShouldContain("Ada Lovelace");
        status.ShouldContain("Annual refresher: OVERDUE, never completed");
        status.ShouldContain("OVERDUE, due by 2026-02-04", customMessage: "Ada's induction meeting, 30 days after she started");
        status.ShouldContain("clock-overdue");

        var ada = await App.WithDbAsync(db => db.Set<StaffMember>().SingleAsync(s => s.Department == "Finance"));
        var course = await App.WithDbAsync(db => db.Set<TrainingCourse>().SingleAsync());
        var future = await ui.SubmitAsync($"/training/record?staff={ada.Id}", "completion", new Dictionary<string, string>
        {
            ["Input.StaffId"] = ada.Id.ToString(),
            ["Input.CourseId"] = course.Id.ToString(),
            ["Input.CompletedOn"] = "2026-12-01",
            ["Input.Evidence"] = "Certificate 7",
        });
        future.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await future.Content.ReadAsStringAsync()).ShouldContain("The completion time is in the future.");
        var recorded = await ui.SubmitAsync($"/training/record?staff={ada.Id}", "completion", new Dictionary<string, string>
        {
            ["Input.StaffId"] = ada.Id.ToString(),
            ["Input.CourseId"] = course.Id.ToString(),
            ["Input.CompletedOn"] = "2026-01-31",
            ["Input.Evidence"] = "Certificate 7",
        });
        recorded.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var person = await ui.GetPageAsync(recorded.Headers.Location!.PathAndQuery);
        person.ShouldContain("Completion recorded.");
        person.ShouldContain("valid until 2027-01-31");

        var met = await ui.SubmitAsync($"/training/staff/{ada.Id}", "meeting", new Dictionary<string, string> { ["Meeting.MetOn"] = "2026-01-20", ["Meeting.Notes"] = "Policy tour." });
        met.StatusCode.ShouldBe(HttpStatusCode.OK);
        var page = await met.Content.ReadAsStringAsync();
        page.ShouldContain("Induction meeting recorded.");
        page.ShouldContain("met 2026-01-20: Policy tour.");
        (await ui.GetPageAsync("/training?status=overdue")).ShouldNotContain("Ada Lovelace");

        var synced = await ui.SubmitAsync("/training", "accounts", new Dictionary<string, string>());
        (await synced.Content.ReadAsStringAsync()).ShouldContain("1 staff account added, 0 linked to an earlier record.");
    }

    [Fact]
    public async Task Staff_members_cannot_open_the_training_records()
    {
        await App.CreateUserAsync("sam@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("sam@example.org");
        var response = await ui.GetAsync("/training");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.AbsolutePath.ShouldBe("/account/access-denied");
        (await ui.GetPageAsync("/")).ShouldNotContain("href=\"/training\"");
    }
}
