using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Dataward.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Training;

public sealed class TrainingApiTests_Sqlite() : TrainingApiTests(StorageProvider.Sqlite);

public sealed class TrainingApiTests_Postgres() : TrainingApiTests(StorageProvider.Postgres);

/// <summary>Training records through the API (issue 7 point 5): courses, staff from accounts and CSV files,
/// completions with their ACC015 expiry, induction meetings, the overdue and due-soon lists, and reminders.</summary>
public abstract class TrainingApiTests(StorageProvider provider) : AppTest(provider)
{
    // The fake clock starts at 2026-11-25 09:00 UTC.
    private DateTimeOffset Now => App.Time.GetUtcNow();

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status, params string[] fields)
    {
        var problem = await Expect(response, status);
        foreach (var field in fields)
        {
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue($"{field} in {problem}");
        }
        return problem;
    }

    private static async Task<Guid> CourseAsync(HttpClient dpo, string title, int? validityMonths, bool mandatory = true, string[]? requiredFor = null, string kind = "refresher") =>
        (await Expect(await dpo.PostAsJsonAsync("/api/training/courses", new { title, kind, validityMonths, mandatory, requiredFor }), HttpStatusCode.Created))
        .GetProperty("id").GetGuid();

    private static async Task<Guid> StaffAsync(HttpClient dpo, string name, string email, string startDate, string? department = null) =>
        (await Expect(await dpo.PostAsJsonAsync("/api/training/staff", new { name, email, startDate, department }), HttpStatusCode.Created))
        .GetProperty("id").GetGuid();

    private static async Task<JsonElement> CompleteAsync(HttpClient dpo, Guid staffId, Guid courseId, DateTimeOffset completedAt, string evidence = "LMS certificate 4411") =>
        await Expect(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId, courseId, completedAt, evidence }), HttpStatusCode.Created);

    private static JsonElement Course(JsonElement person, Guid courseId) =>
        person.GetProperty("courses").EnumerateArray().Single(c => c.GetProperty("courseId").GetGuid() == courseId);

    private static async Task<List<string>> NamesAsync(HttpClient client, string? status = null) =>
        (await client.GetFromJsonAsync<JsonElement>($"/api/training/staff{(status is null ? "" : $"?status={status}")}"))
        .EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();

    private async Task<(HttpClient Dpo, Guid Course, Guid Ada)> AdaWithRefresherAsync(int validityMonths = 3)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var course = await CourseAsync(dpo, "Data protection refresher", validityMonths);
        var ada = await StaffAsync(dpo, "Ada Lovelace", "ada@example.org", "2026-01-05", "Finance");
        (await Expect(await dpo.PostAsJsonAsync($"/api/training/staff/{ada}/induction-meeting", new { metAt = "2026-01-06T10:00:00Z", notes = "Walked through the policy." }),
            HttpStatusCode.OK)).GetProperty("inductionMeeting").GetProperty("state").GetString().ShouldBe("done");
        return (dpo, course, ada);
    }

    [Fact]
    public async Task ACC015_a_completion_expires_at_the_month_end_and_the_person_turns_due_soon_then_overdue()
    {
        var (dpo, course, ada) = await AdaWithRefresherAsync();
        (await NamesAsync(dpo, "overdue")).ShouldBe(["Ada Lovelace"], "a mandatory course never completed is overdue");
        Course(await dpo.GetFromJsonAsync<JsonElement>($"/api/training/staff/{ada}"), course).GetProperty("state").GetString().ShouldBe("overdue");

        // 31 August (summer time) + 3 months: there is no 31 November, so the last day of November, at the same wall time.
        var completion = await CompleteAsync(dpo, ada, course, DateTimeOffset.Parse("2026-08-31T10:00:00+01:00", System.Globalization.CultureInfo.InvariantCulture));
        completion.GetProperty("expiresAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));
        completion.GetProperty("expiresAt").GetString()!.ShouldEndWith("+00:00", Case.Insensitive, "stored and returned in UTC");
        completion.GetProperty("completedAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 8, 31, 9, 0, 0, TimeSpan.Zero));
        completion.GetProperty("expired").GetBoolean().ShouldBeFalse();

        var person = await dpo.GetFromJsonAsync<JsonElement>($"/api/training/staff/{ada}");
        Course(person, course).GetProperty("state").GetString().ShouldBe("dueSoon", "five days left, within the 30-day window");
        person.GetProperty("dueSoon").GetBoolean().ShouldBeTrue();
        person.GetProperty("overdue").GetBoolean().ShouldBeFalse();
        (await NamesAsync(dpo, "dueSoon")).ShouldBe(["Ada Lovelace"]);
        (await NamesAsync(dpo, "overdue")).ShouldBeEmpty();

        App.Time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 9, 59, 59, TimeSpan.Zero));
        (await NamesAsync(dpo, "overdue")).ShouldBeEmpty("still valid one second before the expiry");
        App.Time.Advance(TimeSpan.FromSeconds(1));
        (await NamesAsync(dpo, "overdue")).ShouldBe(["Ada Lovelace"]);
        Course(await dpo.GetFromJsonAsync<JsonElement>($"/api/training/staff/{ada}"), course).GetProperty("dueAt").GetDateTimeOffset()
            .ShouldBe(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));

        var renewed = await CompleteAsync(dpo, ada, course, Now, "Refresher session, attendance sheet 2026-11");
        renewed.GetProperty("expiresAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2027, 2, 28, 10, 0, 0, TimeSpan.Zero));
        (await NamesAsync(dpo, "overdue")).ShouldBeEmpty();
        (await NamesAsync(dpo)).ShouldBe(["Ada Lovelace"]);
        var history = await dpo.GetFromJsonAsync<JsonElement>($"/api/training/completions?staffId={ada}");
        history.GetArrayLength().ShouldBe(2);
        history[0].GetProperty("evidence").GetString().ShouldBe("Refresher session, attendance sheet 2026-11", "newest first");
        history[1].GetProperty("expired").GetBoolean().ShouldBeTrue();
        (await Expect(await dpo.GetAsync($"/api/training/completions/{renewed.GetProperty("id").GetGuid()}"), HttpStatusCode.OK))
            .GetProperty("staffName").GetString().ShouldBe("Ada Lovelace");
    }

    [Fact]
    public async Task ACC015_31_january_plus_one_month_is_29_february_in_a_leap_year_and_28_otherwise()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var course = await CourseAsync(dpo, "Monthly phishing check", 1, mandatory: false, kind: "specialist");
        var ada = await StaffAsync(dpo, "Ada Lovelace", "ada@example.org", "2026-01-05");
        App.Time.SetUtcNow(new DateTimeOffset(2028, 3, 15, 9, 0, 0, TimeSpan.Zero));
        (await CompleteAsync(dpo, ada, course, new DateTimeOffset(2027, 1, 31, 10, 0, 0, TimeSpan.Zero))).GetProperty("expiresAt").GetDateTimeOffset()
            .ShouldBe(new DateTimeOffset(2027, 2, 28, 10, 0, 0, TimeSpan.Zero));
        (await CompleteAsync(dpo, ada, course, new DateTimeOffset(2028, 1, 31, 10, 0, 0, TimeSpan.Zero))).GetProperty("expiresAt").GetDateTimeOffset()
            .ShouldBe(new DateTimeOffset(2028, 2, 29, 10, 0, 0, TimeSpan.Zero));
        (await CompleteAsync(dpo, ada, course, new DateTimeOffset(2028, 2, 29, 10, 0, 0, TimeSpan.Zero))).GetProperty("expiresAt").GetDateTimeOffset()
            .ShouldBe(new DateTimeOffset(2028, 3, 29, 9, 0, 0, TimeSpan.Zero), "10:00 on 29 March is summer time in London");
        var standing = Course(await dpo.GetFromJsonAsync<JsonElement>($"/api/training/staff/{ada}"), course);
        standing.GetProperty("required").GetBoolean().ShouldBeFalse();
        standing.GetProperty("state").GetString().ShouldBe("dueSoon", "the latest completion runs to 29 March, 14 days away");
        standing.GetProperty("expiresAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2028, 3, 29, 9, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Bad_completions_are_refused_with_the_field_and_nothing_is_stored()
    {
        var (dpo, course, ada) = await AdaWithRefresherAsync();
        await Problem(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId = ada, courseId = Guid.NewGuid(), completedAt = Now, evidence = "x" }),
            HttpStatusCode.BadRequest, "courseId");
        await Problem(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId = Guid.NewGuid(), courseId = course, completedAt = Now, evidence = "x" }),
            HttpStatusCode.BadRequest, "staffId");
        await Problem(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId = ada, courseId = course, completedAt = Now.AddDays(1), evidence = "x" }),
            HttpStatusCode.BadRequest, "completedAt");
        await Problem(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId = ada, courseId = course, completedAt = Now, evidence = "  " }),
            HttpStatusCode.BadRequest, "evidence");
        await Problem(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId = ada, courseId = course, completedAt = "yesterday", evidence = "x" }),
            HttpStatusCode.BadRequest);
        await Problem(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId = ada, courseId = course, completedAt = Now, evidence = "x", grade = "A" }),
            HttpStatusCode.BadRequest);
        (await dpo.GetFromJsonAsync<JsonElement>("/api/training/completions")).GetArrayLength().ShouldBe(0);

        await CompleteAsync(dpo, ada, course, Now.AddDays(-1));
        await Problem(await dpo.PostAsJsonAsync("/api/training/completions", new { staffId = ada, courseId = course, completedAt = Now.AddDays(-1), evidence = "again" }),
            HttpStatusCode.Conflict, "completedAt");
        (await dpo.GetFromJsonAsync<JsonElement>("/api/training/completions")).GetArrayLength().ShouldBe(1);
        await Problem(await dpo.GetAsync($"/api/training/staff/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "id");
        await Problem(await dpo.GetAsync("/api/training/staff?status=late"), HttpStatusCode.BadRequest, "status");
    }

    [Fact]
    public async Task Bad_courses_are_refused_and_titles_are_unique()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await Problem(await dpo.PostAsJsonAsync("/api/training/courses", new { title = "Refresher", kind = "refresher", validityMonths = 0, mandatory = true }),
            HttpStatusCode.BadRequest, "validityMonths");
        problem.GetProperty("ruleId").GetString().ShouldBe("ACC015");
        await Problem(await dpo.PostAsJsonAsync("/api/training/courses", new { kind = "webinar", validityMonths = 12 }), HttpStatusCode.BadRequest, "title", "kind");
        await Problem(await dpo.PostAsJsonAsync("/api/training/courses", new { title = "HR data", kind = "specialist", mandatory = false, requiredFor = new[] { "HR" } }),
            HttpStatusCode.BadRequest, "requiredFor");
        (await dpo.GetFromJsonAsync<JsonElement>("/api/training/courses")).GetArrayLength().ShouldBe(0);

        var id = await CourseAsync(dpo, "Data protection induction", null, kind: "induction");
        await Problem(await dpo.PostAsJsonAsync("/api/training/courses", new { title = "Data protection induction", kind = "induction" }), HttpStatusCode.Conflict, "title");
        var course = await dpo.GetFromJsonAsync<JsonElement>($"/api/training/courses/{id}");
        course.GetProperty("validityMonths").ValueKind.ShouldBe(JsonValueKind.Null, "an induction that never expires");
        course.GetProperty("mandatory").GetBoolean().ShouldBeTrue();
        course.GetProperty("requiredFor").GetArrayLength().ShouldBe(0);
    }

    private const string StaffFile = """
        Name,E-mail,Start date,Department,Payroll number
        "Lovelace, Ada",ada@example.org,2026-01-05,Finance,1001
        Grace Hopper,grace@example.org,2026-10-12,HR,1002
        Alan Turing, ALAN@example.org ,2025-06-30,,1003
        """;

    [Fact]
    public async Task A_csv_file_creates_and_updates_staff_and_keeps_their_names_and_addresses_encrypted()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var imported = await Expect(await dpo.PostAsync("/api/training/staff/import", new StringContent(StaffFile, Encoding.UTF8, "text/csv")), HttpStatusCode.OK);
        imported.GetProperty("created").GetInt32().ShouldBe(3);
        var staff = await dpo.GetFromJsonAsync<JsonElement>("/api/training/staff");
        staff.EnumerateArray().Select(s => s.GetProperty("name").GetString()).Order().ShouldBe(["Alan Turing", "Grace Hopper", "Lovelace, Ada"]);
        var alan = staff.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "Alan Turing");
        alan.GetProperty("email").GetString().ShouldBe("ALAN@example.org");
        alan.GetProperty("department").ValueKind.ShouldBe(JsonValueKind.Null);
        alan.GetProperty("startDate").GetString().ShouldBe("2025-06-30");
        alan.GetProperty("source").GetString().ShouldBe("import");

        var rows = await App.WithDbAsync(db => db.Set<StaffMember>().AsNoTracking().ToListAsync());
        rows.Count.ShouldBe(3);
        rows.ShouldAllBe(r => !r.NameEncrypted.Contains("Ada Lovelace") && !r.EmailEncrypted.Contains("example.org") && !r.EmailHash.Contains("example.org"));

        // Re-importing finds people by address (any case): one changed department, the rest unchanged.
        var again = StaffFile.Replace("2026-10-12,HR", "2026-10-12,People", StringComparison.Ordinal).Replace(" ALAN@", " alan@", StringComparison.Ordinal);
        var second = await Expect(await dpo.PostAsync("/api/training/staff/import", new StringContent(again, Encoding.UTF8, "text/csv")), HttpStatusCode.OK);
        (second.GetProperty("created").GetInt32(), second.GetProperty("updated").GetInt32(), second.GetProperty("unchanged").GetInt32()).ShouldBe((0, 1, 2));
        (await dpo.GetFromJsonAsync<JsonElement>("/api/training/staff")).EnumerateArray()
            .Single(s => s.GetProperty("name").GetString() == "Grace Hopper").GetProperty("department").GetString().ShouldBe("People");
        await Problem(await dpo.PostAsJsonAsync("/api/training/staff", new { name = "Ada again", email = "ADA@example.org", startDate = "2026-01-05" }),
            HttpStatusCode.Conflict, "email");
    }

    [Fact]
    public async Task A_csv_file_with_bad_lines_names_each_of_them_and_imports_nobody()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        const string file = """
            name,email,start date,department
            Ada Lovelace,ada@example.org,2026-01-05,Finance
            Grace Hopper,grace@,2026-10-12,HR
            Alan Turing,alan@example.org,30/06/2025,
            Ada Twice,ADA@example.org,2026-01-05,Finance
            ,edsger@example.org,2026-02-01,IT
            Barbara Liskov,barbara@example.org,,IT
            """;
        var problem = await Problem(await dpo.PostAsync("/api/training/staff/import", new StringContent(file, Encoding.UTF8, "text/csv")), HttpStatusCode.BadRequest,
            "lines[3].email", "lines[4].startDate", "lines[5].email", "lines[6].name", "lines[7].startDate");
        problem.GetProperty("errors").EnumerateObject().Count().ShouldBe(5, problem.ToString());
        problem.GetProperty("errors").GetProperty("lines[4].startDate")[0].GetString()!.ShouldContain("yyyy-MM-dd");
        problem.GetProperty("errors").GetProperty("lines[5].email")[0].GetString()!.ShouldBe("Line 5: the same e-mail address as line 2.");
        problem.GetProperty("detail").GetString()!.ShouldNotContain("grace@", customMessage: "errors name lines, not the personal data in them");
        (await dpo.GetFromJsonAsync<JsonElement>("/api/training/staff")).GetArrayLength().ShouldBe(0, "the good lines were not imported either");

        await Problem(await dpo.PostAsync("/api/training/staff/import", new StringContent("name,mail,start\nAda,ada@example.org,2026-01-05", Encoding.UTF8, "text/csv")),
            HttpStatusCode.BadRequest, "header");
        await Problem(await dpo.PostAsync("/api/training/staff/import", new StringContent("", Encoding.UTF8, "text/csv")), HttpStatusCode.BadRequest, "file");
        await Problem(await dpo.PostAsync("/api/training/staff/import", new StringContent("name,email,start date\n", Encoding.UTF8, "text/csv")),
            HttpStatusCode.BadRequest, "file");
        await Problem(await dpo.PostAsync("/api/training/staff/import", new StringContent("name,email,start date\nAda \"the\" Lovelace,ada@example.org,2026-01-05", Encoding.UTF8, "text/csv")),
            HttpStatusCode.BadRequest, "lines[2]");
        (await dpo.GetFromJsonAsync<JsonElement>("/api/training/staff")).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Staff_accounts_become_tracked_staff_and_a_course_can_bind_only_some_departments_and_roles()
    {
        await App.CreateUserAsync("dee@example.org", StaffRoles.DataProtectionOfficer);
        await App.CreateUserAsync("sam@example.org", StaffRoles.Staff);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var hr = await StaffAsync(dpo, "Grace Hopper", "grace@example.org", "2026-10-12", "HR");
        await App.CreateUserAsync("grace@example.org", StaffRoles.Staff);
        var synced = await Expect(await dpo.PostAsync("/api/training/staff/accounts", null), HttpStatusCode.OK);
        (synced.GetProperty("added").GetInt32(), synced.GetProperty("linked").GetInt32()).ShouldBe((2, 1));
        (await Expect(await dpo.PostAsync("/api/training/staff/accounts", null), HttpStatusCode.OK)).GetProperty("added").GetInt32().ShouldBe(0, "once");

        var course = await CourseAsync(dpo, "Handling special category data", 12, requiredFor: ["hr", "DataProtectionOfficer"], kind: "specialist");
        var staff = (await dpo.GetFromJsonAsync<JsonElement>("/api/training/staff")).EnumerateArray().ToDictionary(s => s.GetProperty("email").GetString()!);
        staff.Keys.Order().ShouldBe(["dee@example.org", "grace@example.org", "sam@example.org"]);
        staff["dee@example.org"].GetProperty("hasAccount").GetBoolean().ShouldBeTrue();
        staff["dee@example.org"].GetProperty("source").GetString().ShouldBe("account");
        staff["dee@example.org"].GetProperty("startDate").GetString().ShouldBe("2026-11-25", "the day the account was created");
        staff["grace@example.org"].GetProperty("id").GetGuid().ShouldBe(hr);
        staff["grace@example.org"].GetProperty("hasAccount").GetBoolean().ShouldBeTrue();
        Course(staff["dee@example.org"], course).GetProperty("state").GetString().ShouldBe("overdue", "required for the DPO role");
        Course(staff["grace@example.org"], course).GetProperty("state").GetString().ShouldBe("overdue", "required for the HR department");
        staff["sam@example.org"].GetProperty("courses").GetArrayLength().ShouldBe(0, "neither in HR nor the DPO");
    }

    [Fact]
    public async Task A_leaver_is_kept_but_no_longer_listed_or_overdue()
    {
        var (dpo, _, ada) = await AdaWithRefresherAsync();
        await Problem(await dpo.PostAsJsonAsync($"/api/training/staff/{ada}/leaver", new { leftOn = "2025-12-31" }), HttpStatusCode.BadRequest, "leftOn");
        (await Expect(await dpo.PostAsJsonAsync($"/api/training/staff/{ada}/leaver", new { leftOn = "2026-11-24" }), HttpStatusCode.OK))
            .GetProperty("leftOn").GetString().ShouldBe("2026-11-24");
        (await NamesAsync(dpo)).ShouldBeEmpty();
        (await NamesAsync(dpo, "overdue")).ShouldBeEmpty();
        (await NamesAsync(dpo, "left")).ShouldBe(["Ada Lovelace"]);
    }

    [Fact]
    public async Task Auditors_read_training_records_and_staff_neither_read_nor_change_them()
    {
        var (_, course, ada) = await AdaWithRefresherAsync();
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await auditor.GetAsync("/api/training/staff")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await auditor.PostAsJsonAsync("/api/training/completions", new { staffId = ada, courseId = course, completedAt = Now, evidence = "x" }))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.GetAsync("/api/training/staff")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staff.PostAsJsonAsync("/api/training/courses", new { title = "x", kind = "refresher" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var trail = await (await App.ClientWithRoleAsync(StaffRoles.Auditor)).GetFromJsonAsync<JsonElement>("/api/audit?action=training.");
        trail.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ShouldBe(
            ["training.induction_meeting_recorded", "training.staff_added", "training.course_created"], ignoreOrder: true);
        trail.ToString().ShouldNotContain("Ada Lovelace", customMessage: "the trail names records, never people");
    }

    [Fact]
    public async Task ACC015_reminders_go_once_per_person_course_and_threshold_before_expiry_and_once_overdue()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var (dpo, course, ada) = await AdaWithRefresherAsync();
        var grace = await StaffAsync(dpo, "Grace Hopper", "grace@example.org", "2026-09-01", "HR");
        await CompleteAsync(dpo, ada, course, new DateTimeOffset(2026, 9, 10, 9, 0, 0, TimeSpan.Zero)); // expires 10 December: due soon
        await CompleteAsync(dpo, grace, course, Now.AddDays(-1)); // expires 24 February
        (await NamesAsync(dpo)).Count.ShouldBe(2, "the DPO's account is not tracked until the reminders run");

        var first = await RemindAsync();
        first.ShouldBe(new TrainingReminderRun(2, 2, 1));
        var messages = await MessagesAsync();
        messages.Single(m => m.To == "ada@example.org").Subject.ShouldBe("Data protection training: 0 overdue, 1 due soon");
        messages.Single(m => m.To == "ada@example.org").Body.ShouldContain("Data protection refresher: expires on 10 December 2026");
        // The DPO's account became tracked staff: overdue with the course never done, and told so.
        messages.Single(m => m.To == "dpo@example.org" && m.Purpose == "training.reminder").Subject.ShouldBe("Data protection training: 1 overdue, 0 due soon");
        var digest = messages.Single(m => m.Purpose == "training.induction_reminder");
        digest.To.ShouldBe("dpo@example.org");
        digest.Body.ShouldContain("Grace Hopper: started 2026-09-01, meeting due by 2026-10-01");
        digest.Body.ShouldNotContain("Ada Lovelace", customMessage: "Ada's meeting is recorded");
        messages.ShouldNotContain(m => m.To == "grace@example.org", "Grace's course runs to February");

        (await RemindAsync()).ShouldBe(new TrainingReminderRun(0, 0, 0), "each reminder goes once");
        (await MessagesAsync()).Count.ShouldBe(messages.Count);

        // 10:00 BST on 10 September plus three months is 10:00 GMT on 10 December.
        App.Time.SetUtcNow(new DateTimeOffset(2026, 12, 10, 10, 0, 0, TimeSpan.Zero));
        (await RemindAsync()).ShouldBe(new TrainingReminderRun(1, 1, 0));
        var overdue = (await MessagesAsync()).Where(m => m.To == "ada@example.org").ToList();
        overdue.Count.ShouldBe(2);
        overdue.ShouldContain(m => m.Subject == "Data protection training: 1 overdue, 0 due soon" && m.Body.Contains("OVERDUE: it expired on 10 December 2026"));
        (await RemindAsync()).ShouldBe(new TrainingReminderRun(0, 0, 0));

        // A renewal starts a new expiry, reminded afresh when it nears; a leaver is not reminded.
        await CompleteAsync(dpo, ada, course, App.Time.GetUtcNow());
        (await Expect(await dpo.PostAsJsonAsync($"/api/training/staff/{grace}/leaver", new { leftOn = "2026-12-31" }), HttpStatusCode.OK)).GetProperty("name").GetString();
        App.Time.SetUtcNow(new DateTimeOffset(2027, 2, 20, 9, 0, 0, TimeSpan.Zero));
        // Ada's renewal expires on 10 March; the DPO's own induction meeting, due by 25 December, is now overdue.
        (await RemindAsync()).ShouldBe(new TrainingReminderRun(1, 1, 1));
        (await MessagesAsync()).Where(m => m.To == "ada@example.org").Count().ShouldBe(3);
        (await MessagesAsync()).ShouldNotContain(m => m.To == "grace@example.org");
    }

    private async Task<TrainingReminderRun> RemindAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TrainingReminders>().QueueDueAsync();
    }

    private async Task<List<(string To, string Subject, string Body, string Purpose)>> MessagesAsync()
    {
        var keys = App.Services.GetRequiredService<KeyRing>();
        return ((await App.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking().ToListAsync())).Decrypted(App))
            .Select(m => (keys.Decrypt(m.To, "email.to"), m.Subject, m.Body, m.Purpose)).ToList();
    }

    [Fact]
    public async Task The_remind_verb_emails_staff_whose_required_training_is_overdue()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await CourseAsync(dpo, "Data protection induction", 12, kind: "induction");
        await StaffAsync(dpo, "Ada Lovelace", "ada@example.org", "2026-01-05");
        var folder = Directory.CreateTempSubdirectory("dataward-training-").FullName;
        var first = await DatawardProcess.RunInAsync(App.Database.Environment, folder, null, "training", "remind");
        first.ExitCode.ShouldBe(0, first.Stderr);
        first.Stdout.ShouldContain("1 person reminded of 1 course(s); 0 induction meeting(s) overdue; 1 message(s) sent.");
        var file = Directory.GetFiles(Path.Combine(folder, "data", "outbox"), "*.eml").ShouldHaveSingleItem();
        var text = await File.ReadAllTextAsync(file);
        text.ShouldContain("To: ada@example.org");
        text.ShouldContain("Data protection induction: OVERDUE: you have not completed it yet");
        var second = await DatawardProcess.RunInAsync(App.Database.Environment, folder, null, "training", "remind");
        second.Stdout.ShouldContain("0 people reminded of 0 course(s); 0 induction meeting(s) overdue; 0 message(s) sent.");
    }
}
