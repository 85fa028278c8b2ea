using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Complaints;
using Dataward.Domain.Complaints;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Complaints;

public sealed class ComplaintApiTests_Sqlite() : ComplaintApiTests(StorageProvider.Sqlite);

public sealed class ComplaintApiTests_Postgres() : ComplaintApiTests(StorageProvider.Postgres);

/// <summary>Complaints (issue 7 point 6): lodged in the privacy centre or logged by staff, acknowledged within the
/// ACC014 clock through the outbox, answered with the right to complain to the ICO, closed; kept encrypted.</summary>
public abstract class ComplaintApiTests(StorageProvider provider) : AppTest(provider)
{
    // The fake clock starts on Wednesday 25 November 2026, 09:00 UTC (GMT in London).
    private DateTimeOffset Now => App.Time.GetUtcNow();

    private static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status, string field, string? ruleId = null)
    {
        var problem = await Expect(response, status);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.ToString());
        if (ruleId is not null)
        {
            problem.GetProperty("ruleId").GetString().ShouldBe(ruleId, problem.ToString());
        }
        return problem;
    }

    private async Task<List<(string To, string Subject, string Body, string Purpose)>> MessagesAsync()
    {
        var keys = App.Services.GetRequiredService<KeyRing>();
        return ((await App.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking().OrderBy(m => m.CreatedAt).ToListAsync())).Decrypted(App))
            .Select(m => (keys.Decrypt(m.To, "email.to"), m.Subject, m.Body, m.Purpose)).ToList();
    }

    private static Dictionary<string, string> Form(string? email = "kim@example.org") => new()
    {
        ["Input.Name"] = "Kim Doe",
        ["Input.Email"] = email ?? "",
        ["Input.Subject"] = "My access request was ignored",
        ["Input.Details"] = "I asked for a copy of my data in September and heard nothing.",
    };

    private static object Logged(string channel = "email", object? complainant = null, DateTimeOffset? receivedAt = null) => new
    {
        channel,
        complainant = complainant ?? new { name = "Lee Roe", email = "lee@example.org" },
        subject = "Marketing after I objected",
        details = "I objected to marketing in June and still get your newsletter.",
        receivedAt,
    };

    [Fact]
    public async Task ACC014_a_complaint_lodged_in_the_privacy_centre_is_acknowledged_by_email_at_once_and_kept_encrypted()
    {
        var person = App.Ui();
        var page = await person.SubmitAsync("/privacy/complaints", "complaint", Form());
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("CMP-2026-0001");
        html.ShouldContain("Thursday 24 December 2026", customMessage: "the reply date, 30 days counting the day of receipt");
        html.ShouldContain("https://ico.org.uk/make-a-complaint/");

        var ack = (await MessagesAsync()).ShouldHaveSingleItem();
        ack.To.ShouldBe("kim@example.org");
        ack.Purpose.ShouldBe("complaints.acknowledgement");
        ack.Subject.ShouldBe("We received your complaint CMP-2026-0001");
        ack.Body.ShouldContain("We received your complaint on Wednesday 25 November 2026");
        ack.Body.ShouldContain("by Thursday 24 December 2026 at the latest");

        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var row = (await staff.GetFromJsonAsync<JsonElement>("/api/complaints")).EnumerateArray().ShouldHaveSingleItem();
        row.GetProperty("channel").GetString().ShouldBe("privacyCentre");
        row.GetProperty("status").GetString().ShouldBe("acknowledged");
        row.GetProperty("ackDueAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 12, 24, 23, 59, 59, TimeSpan.Zero));
        row.GetProperty("ackDueAt").GetString()!.ShouldEndWith("+00:00", Case.Insensitive);
        row.GetProperty("acknowledgedAt").GetDateTimeOffset().ShouldBe(Now);
        row.GetProperty("subject").GetString().ShouldBe("My access request was ignored");

        var id = row.GetProperty("id").GetGuid();
        var complaint = await staff.GetFromJsonAsync<JsonElement>($"/api/complaints/{id}");
        complaint.GetProperty("complainant").GetProperty("email").GetString().ShouldBe("kim@example.org");
        complaint.GetProperty("complainant").GetProperty("name").GetString().ShouldBe("Kim Doe");
        complaint.GetProperty("acknowledgedOnTime").GetBoolean().ShouldBeTrue();
        complaint.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldBe(["received", "acknowledged"]);

        var stored = await App.WithDbAsync(db => db.Set<Complaint>().AsNoTracking().SingleAsync());
        foreach (var column in new[] { stored.ComplainantEncrypted, stored.SubjectEncrypted, stored.DetailsEncrypted })
        {
            column.ShouldNotContain("kim@example.org");
            column.ShouldNotContain("Kim Doe");
            column.ShouldNotContain("My access request was ignored", customMessage: "texts with spaces: a short word may turn up in base64 by chance");
        }
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        var trail = await auditor.GetFromJsonAsync<JsonElement>("/api/audit?action=complaints.");
        trail.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()).Order().ToList()
            .ShouldBe(["complaints.received", "complaints.viewed"], customMessage: "reading the complainant's details is audited");
        trail.ToString().ShouldNotContain("kim@example.org");
    }

    [Fact]
    public async Task ACC014_staff_acknowledge_update_and_answer_a_complaint_by_email_and_the_outcome_names_the_ico()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        (await admin.PutAsJsonAsync("/api/register/organisation", new { name = "Example Ltd", dpo = new { name = "Dee Poe", email = "dpo@example.org" } }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var logged = await Expect(await staff.PostAsJsonAsync("/api/complaints", Logged(receivedAt: Now.AddDays(-3))), HttpStatusCode.Created);
        var id = logged.GetProperty("id").GetGuid();
        logged.GetProperty("status").GetString().ShouldBe("received");
        logged.GetProperty("ackDueAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 12, 21, 23, 59, 59, TimeSpan.Zero), "received on 22 November");
        logged.GetProperty("acknowledgedAt").ValueKind.ShouldBe(JsonValueKind.Null);
        (await MessagesAsync()).ShouldBeEmpty("staff acknowledge what they log");

        var acknowledged = await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/acknowledge", new { }), HttpStatusCode.OK);
        acknowledged.GetProperty("status").GetString().ShouldBe("acknowledged");
        acknowledged.GetProperty("acknowledgementMethod").GetString().ShouldBe("email");
        var ack = (await MessagesAsync()).ShouldHaveSingleItem();
        (ack.To, ack.Purpose).ShouldBe(("lee@example.org", "complaints.acknowledgement"));
        ack.Body.ShouldContain("Example Ltd");
        ack.Body.ShouldContain("dpo@example.org");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/acknowledge", new { }), HttpStatusCode.Conflict, "status");

        await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/updates", new { text = "We have asked the marketing team why.", sendToComplainant = true }),
            HttpStatusCode.OK);
        await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/updates", new { text = "Marketing list checked: the objection was never applied." }),
            HttpStatusCode.OK);
        var updates = (await MessagesAsync()).Where(m => m.Purpose == "complaints.update").ToList();
        updates.ShouldHaveSingleItem().Body.ShouldContain("We have asked the marketing team why.");

        App.Time.Advance(TimeSpan.FromDays(2));
        var answered = await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/respond", new
        {
            result = "upheld",
            outcome = "Your objection was not applied to our newsletter list. We have removed you and fixed the process.",
        }), HttpStatusCode.OK);
        answered.GetProperty("status").GetString().ShouldBe("responded");
        answered.GetProperty("icoRightMentioned").GetBoolean().ShouldBeTrue();
        answered.GetProperty("outcomeSentAt").GetDateTimeOffset().ShouldBe(Now);
        answered.GetProperty("outcome").GetString()!.ShouldContain(ComplaintLetters.IcoRight);
        answered.GetProperty("updates").GetArrayLength().ShouldBe(2);
        var outcome = (await MessagesAsync()).Single(m => m.Purpose == "complaints.outcome");
        outcome.To.ShouldBe("lee@example.org");
        outcome.Subject.ShouldBe("The outcome of your complaint CMP-2026-0001");
        outcome.Body.ShouldContain("We agree with your complaint.");
        outcome.Body.ShouldContain("We have removed you and fixed the process.");
        outcome.Body.ShouldContain("Information Commissioner's");
        outcome.Body.ShouldContain("https://ico.org.uk/make-a-complaint/");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/respond", new { result = "upheld", outcome = "again" }), HttpStatusCode.Conflict, "status");

        var closed = await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/close", new { }), HttpStatusCode.OK);
        closed.GetProperty("status").GetString().ShouldBe("closed");
        closed.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString())
            .ShouldBe(["received", "acknowledged", "update", "update", "responded", "closed"]);
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/close", new { }), HttpStatusCode.Conflict, "status");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/updates", new { text = "late" }), HttpStatusCode.Conflict, "status");
        (await staff.GetFromJsonAsync<JsonElement>("/api/complaints?status=open")).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task ACC014_a_complaint_by_post_is_acknowledged_and_answered_by_letter_with_the_same_ico_wording()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var logged = await Expect(await staff.PostAsJsonAsync("/api/complaints",
            Logged("post", new { name = "Pat Smith", address = "1 High Street, Leeds" }, Now.AddDays(-10))), HttpStatusCode.Created);
        var id = logged.GetProperty("id").GetGuid();
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/acknowledge", new { }), HttpStatusCode.BadRequest, "method", "ACC014");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/acknowledge", new { method = "email" }), HttpStatusCode.BadRequest, "method", "ACC014");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/acknowledge", new { method = "post", at = Now.AddDays(-11) }), HttpStatusCode.BadRequest, "at");
        var acknowledged = await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/acknowledge", new { method = "post", at = Now.AddDays(-9) }), HttpStatusCode.OK);
        acknowledged.GetProperty("acknowledgedAt").GetDateTimeOffset().ShouldBe(Now.AddDays(-9));
        acknowledged.GetProperty("acknowledgementMethod").GetString().ShouldBe("post");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/updates", new { text = "x", sendToComplainant = true }), HttpStatusCode.BadRequest, "sendToComplainant");

        var answered = await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/respond", new { result = "notUpheld", outcome = "We checked and your data was used lawfully.", method = "post" }),
            HttpStatusCode.OK);
        answered.GetProperty("outcome").GetString()!.ShouldContain(ComplaintLetters.IcoRight, customMessage: "the letter to print says the same");
        answered.GetProperty("icoRightMentioned").GetBoolean().ShouldBeTrue();
        answered.GetProperty("outcomeMethod").GetString().ShouldBe("post");
        (await MessagesAsync()).ShouldBeEmpty("nothing to e-mail");
    }

    [Fact]
    public async Task ACC014_an_acknowledgement_not_sent_by_the_end_of_the_30th_day_shows_as_overdue()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        // Received on 27 October: day 30 is 25 November, today.
        var id = (await Expect(await staff.PostAsJsonAsync("/api/complaints", Logged("phone", new { phone = "0113 496 0000" }, new DateTimeOffset(2026, 10, 27, 9, 0, 0, TimeSpan.Zero))),
            HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var row = (await staff.GetFromJsonAsync<JsonElement>("/api/complaints?due=soon")).EnumerateArray().ShouldHaveSingleItem();
        row.GetProperty("ackDueAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 11, 25, 23, 59, 59, TimeSpan.Zero));
        row.GetProperty("ackOverdue").GetBoolean().ShouldBeFalse();
        (await staff.GetFromJsonAsync<JsonElement>("/api/complaints?due=overdue")).GetArrayLength().ShouldBe(0);

        App.Time.SetUtcNow(new DateTimeOffset(2026, 11, 25, 23, 59, 59, TimeSpan.Zero));
        (await staff.GetFromJsonAsync<JsonElement>("/api/complaints?due=overdue")).GetArrayLength().ShouldBe(0, "the last second of day 30 is on time");
        App.Time.Advance(TimeSpan.FromSeconds(1));
        row = (await staff.GetFromJsonAsync<JsonElement>("/api/complaints?due=overdue")).EnumerateArray().ShouldHaveSingleItem();
        row.GetProperty("ackOverdue").GetBoolean().ShouldBeTrue();
        row.GetProperty("replyOverdue").GetBoolean().ShouldBeTrue("the 30-day reply target has passed too");

        var late = await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/acknowledge", new { method = "phone" }), HttpStatusCode.OK);
        late.GetProperty("acknowledgedOnTime").GetBoolean().ShouldBeFalse();
        late.GetProperty("ackOverdue").GetBoolean().ShouldBeFalse("acknowledged, if late");

        var counts = await staff.GetFromJsonAsync<JsonElement>("/api/complaints/counts?from=2026-10-01&to=2026-10-31");
        counts.GetProperty("received").GetInt32().ShouldBe(1);
        counts.GetProperty("byChannel").GetProperty("phone").GetInt32().ShouldBe(1);
        counts.GetProperty("acknowledged").GetInt32().ShouldBe(1);
        counts.GetProperty("acknowledgedOnTime").GetInt32().ShouldBe(0);
        counts.GetProperty("open").GetInt32().ShouldBe(1);
        (await staff.GetFromJsonAsync<JsonElement>("/api/complaints/counts?from=2026-11-01&to=2026-11-30")).GetProperty("received").GetInt32().ShouldBe(0);
        await Problem(await staff.GetAsync("/api/complaints/counts?from=2026-11-30&to=2026-11-01"), HttpStatusCode.BadRequest, "to");
    }

    [Fact]
    public async Task Bad_complaints_are_refused_with_the_field_and_nothing_is_stored()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        await Problem(await staff.PostAsJsonAsync("/api/complaints", Logged("privacyCentre")), HttpStatusCode.BadRequest, "channel");
        await Problem(await staff.PostAsJsonAsync("/api/complaints", Logged("email", new { name = "Lee" })), HttpStatusCode.BadRequest, "complainant.email", "ACC014");
        await Problem(await staff.PostAsJsonAsync("/api/complaints", Logged("post", new { name = "Lee" })), HttpStatusCode.BadRequest, "complainant", "ACC014");
        await Problem(await staff.PostAsJsonAsync("/api/complaints", Logged("email", new { email = "lee@" })), HttpStatusCode.BadRequest, "complainant.email");
        await Problem(await staff.PostAsJsonAsync("/api/complaints", Logged(receivedAt: Now.AddDays(1))), HttpStatusCode.BadRequest, "receivedAt");
        await Problem(await staff.PostAsJsonAsync("/api/complaints", new { channel = "email", complainant = new { email = "lee@example.org" }, details = "d" }),
            HttpStatusCode.BadRequest, "subject");
        await Problem(await staff.PostAsJsonAsync("/api/complaints", new
        {
            channel = "email",
            complainant = new { email = "lee@example.org" },
            subject = "s",
            details = "d",
            relatedRequestId = Guid.NewGuid(),
        }), HttpStatusCode.BadRequest, "relatedRequestId");
        await Problem(await staff.GetAsync("/api/complaints?status=pending"), HttpStatusCode.BadRequest, "status");
        await Problem(await staff.GetAsync($"/api/complaints/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "id");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{Guid.NewGuid()}/acknowledge", new { }), HttpStatusCode.NotFound, "id");

        var person = App.Ui();
        var refused = await person.SubmitAsync("/privacy/complaints", "complaint", Form(email: null));
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var html = await refused.Content.ReadAsStringAsync();
        html.ShouldContain("role=\"alert\"");
        html.ShouldContain("Give an e-mail address: the acknowledgement and the reply are sent to it.");
        html.ShouldContain("value=\"My access request was ignored\"", customMessage: "what was typed stays in the form");
        (await staff.GetFromJsonAsync<JsonElement>("/api/complaints")).GetArrayLength().ShouldBe(0);
        (await MessagesAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Closing_without_an_outcome_needs_a_reason_and_auditors_cannot_handle_complaints()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var id = (await Expect(await staff.PostAsJsonAsync("/api/complaints", Logged()), HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await auditor.GetAsync($"/api/complaints/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await auditor.PostAsJsonAsync($"/api/complaints/{id}/close", new { reason = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await auditor.PostAsJsonAsync("/api/complaints", Logged())).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/close", new { }), HttpStatusCode.BadRequest, "reason", "ACC014");
        var closed = await Expect(await staff.PostAsJsonAsync($"/api/complaints/{id}/close", new { reason = "Withdrawn by the person on the phone." }), HttpStatusCode.OK);
        closed.GetProperty("closedReason").GetString().ShouldBe("Withdrawn by the person on the phone.");
        closed.GetProperty("icoRightMentioned").GetBoolean().ShouldBeFalse("no outcome was sent");
        await Problem(await staff.PostAsJsonAsync($"/api/complaints/{id}/respond", new { result = "upheld", outcome = "x" }), HttpStatusCode.Conflict, "status");
    }
}

/// <summary>The public complaint form is rate-limited like the privacy centre's other forms.</summary>
public sealed class ComplaintFormRateLimitTests() : AppTest(StorageProvider.Sqlite)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Security:SignInAttemptsPerMinute"] = "2" };

    [Fact]
    public async Task The_public_complaint_form_answers_too_many_posts_with_429()
    {
        var person = App.Ui();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await person.SubmitAsync("/privacy/complaints", "complaint", new Dictionary<string, string>
            {
                ["Input.Email"] = $"kim{i}@example.org",
                ["Input.Subject"] = "Marketing",
                ["Input.Details"] = "Please stop.",
            })).StatusCode);
        }
        statuses.ShouldBe([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests]);
        (await person.GetAsync("/privacy/complaints")).StatusCode.ShouldBe(HttpStatusCode.OK, "showing the form is not limited");
        (await App.WithDbAsync(db => db.Set<Complaint>().CountAsync())).ShouldBe(2);
    }
}
