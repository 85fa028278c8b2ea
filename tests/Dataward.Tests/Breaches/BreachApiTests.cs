using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Breaches;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Breaches;

public sealed class BreachApiTests_Sqlite() : BreachApiTests(StorageProvider.Sqlite);

public sealed class BreachApiTests_Postgres() : BreachApiTests(StorageProvider.Postgres);

/// <summary>The breach register through the API: reporting, the DPO's alert, triage and the 72-hour clock, the ENISA
/// assessment, decisions, the ICO draft and the letter, actions and closure, the CSV register.</summary>
public abstract class BreachApiTests(StorageProvider provider) : AppTest(provider)
{
    // The fake clock starts at 2026-11-25 09:00 UTC.
    private DateTimeOffset Now => App.Time.GetUtcNow();

    private object Report(object? overrides = null) => overrides ?? new
    {
        title = "Customer list e-mailed to the wrong supplier",
        description = "A spreadsheet of customer names and delivery addresses was attached to an e-mail sent to the wrong supplier.",
        occurredAt = Now.AddDays(-2),
        discoveredAt = Now.AddHours(-3),
        systems = new[] { "Outlook", "Order system" },
        dataCategories = new[] { "user.contact.email", "user.name" },
        approximateSubjects = 120,
        approximateRecords = 300,
        containment = "Asked the supplier to delete it; they confirmed in writing.",
    };

    private async Task<(HttpClient Staff, HttpClient Dpo, Guid Id, JsonElement Breach)> ReportAsync(object? body = null)
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var response = await staff.PostAsJsonAsync("/api/breaches", Report(body));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var breach = await Json(response);
        return (staff, dpo, breach.GetProperty("id").GetGuid(), breach);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await Json(response);
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status, string field, string? ruleId = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(text);
        if (ruleId is not null)
        {
            problem.GetProperty("ruleId").GetString().ShouldBe(ruleId, text);
        }
        return problem;
    }

    private async Task<JsonElement> TriageAsync(HttpClient dpo, Guid id, DateTimeOffset awareAt) =>
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/triage", new { isBreach = true, awareAt, reason = "Personal data left our control." }));

    /// <summary>The spec's pharmacy example: SE 4.0, very high, high risk.</summary>
    private static object Pharmacy => new
    {
        dpcBase = 1,
        dpcAdjustments = new[] { new { change = 2, reason = "A pharmacy's customer list implies a health interest" } },
        ei = 1,
        cb = new { lossOfConfidentiality = 0.5, maliciousIntent = 0.5 },
        riskReason = "Names and addresses of pharmacy customers posted publicly by an attacker.",
        breachTypes = new[] { "confidentiality" },
        subjectCategories = new[] { "customer" },
        likelyConsequences = "People may be targeted by phishing or embarrassed by the health interest implied.",
        measures = "The post was taken down; passwords were reset.",
        adviceToPeople = "Be wary of messages that mention your orders.",
        causedByCyberIncident = "yes",
    };

    [Fact]
    public async Task ACC001_a_report_gets_a_reference_the_dpo_is_emailed_at_once_and_triage_starts_the_72_hour_clock()
    {
        await App.CreateUserAsync("dpo.user@example.org", StaffRoles.DataProtectionOfficer);
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        (await admin.PutAsJsonAsync("/api/register/organisation", new { name = "Example Ltd", dpo = new { name = "Dee Poe", email = "dpo@example.org" } }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var (staff, dpo, id, breach) = await ReportAsync();
        breach.GetProperty("reference").GetString().ShouldBe("BRE-2026-0001");
        breach.GetProperty("status").GetString().ShouldBe("reported");
        breach.GetProperty("icoDeadline").ValueKind.ShouldBe(JsonValueKind.Null);

        var alerts = (await App.WithDbAsync(db => db.Set<OutboxMessage>().Where(m => m.Purpose == "breaches.dpo_alert").ToListAsync())).Decrypted(App);
        alerts.Count.ShouldBe(2, "the organisation's DPO address and the user with the DPO role");
        alerts.ShouldAllBe(m => m.Subject.Contains("BRE-2026-0001") && m.Body.Contains("72 hours"));
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var keys = scope.ServiceProvider.GetRequiredService<KeyRing>();
            alerts.Select(m => keys.Decrypt(m.To, "email.to")).Order().ShouldBe(["dpo.user@example.org", "dpo@example.org"]);
        }

        var awareAt = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.FromHours(1)); // 09:00 UTC
        var triaged = await TriageAsync(dpo, id, awareAt);
        triaged.GetProperty("status").GetString().ShouldBe("triaged");
        triaged.GetProperty("icoDeadline").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        triaged.GetProperty("icoDeadline").GetString()!.ShouldEndWith("+00:00", Case.Insensitive, "stored and returned in UTC");
        triaged.GetProperty("hoursLeft").GetInt32().ShouldBe(72);
        triaged.GetProperty("awarenessGapHours").GetDouble().ShouldBe(3, "aware three hours after discovery: shown, not refused");

        App.Time.Advance(TimeSpan.FromHours(71.5));
        var list = await staff.GetFromJsonAsync<JsonElement>("/api/breaches");
        list[0].GetProperty("hoursLeft").GetInt32().ShouldBe(0);
        list[0].GetProperty("overdue").GetBoolean().ShouldBeFalse();
        App.Time.Advance(TimeSpan.FromHours(1));
        list = await staff.GetFromJsonAsync<JsonElement>("/api/breaches");
        list[0].GetProperty("overdue").GetBoolean().ShouldBeTrue();
        list[0].GetProperty("hoursLeft").GetInt32().ShouldBe(-1);

        var second = await staff.PostAsJsonAsync("/api/breaches", Report());
        (await Json(second)).GetProperty("reference").GetString().ShouldBe("BRE-2026-0002");
    }

    [Fact]
    public async Task ACC002_a_discovery_time_in_the_future_is_refused_and_nothing_is_stored()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        await Problem(await staff.PostAsJsonAsync("/api/breaches", new { title = "x", description = "y", discoveredAt = Now.AddHours(2) }),
            HttpStatusCode.BadRequest, "discoveredAt", "ACC002");
        await Problem(await staff.PostAsJsonAsync("/api/breaches", new { title = "x", description = "y", occurredAt = Now.AddHours(-1), discoveredAt = Now.AddHours(-2) }),
            HttpStatusCode.BadRequest, "occurredAt", "ACC002");
        await Problem(await staff.PostAsJsonAsync("/api/breaches", new { title = "x", description = "y", discoveredAt = Now, dataCategories = new[] { "user.contact.emial" } }),
            HttpStatusCode.BadRequest, "dataCategories[0]", "REG013");
        await Problem(await staff.PostAsJsonAsync("/api/breaches", new { description = "y", discoveredAt = Now }), HttpStatusCode.BadRequest, "title");
        (await App.WithDbAsync(db => db.Set<Breach>().CountAsync())).ShouldBe(0);
        (await App.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task ACC002_ACC004_an_awareness_time_before_the_breach_happened_or_a_triage_without_reasons_changes_nothing()
    {
        var (_, dpo, id, breach) = await ReportAsync();
        var occurred = breach.GetProperty("occurredAt").GetDateTimeOffset();
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/triage", new { isBreach = true, awareAt = occurred.AddHours(-1), reason = "Confirmed" }),
            HttpStatusCode.BadRequest, "awareAt", "ACC002");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/triage", new { isBreach = true, awareAt = Now.AddDays(1), reason = "Confirmed" }),
            HttpStatusCode.BadRequest, "awareAt", "ACC002");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/triage", new { isBreach = true, awareAt = Now }), HttpStatusCode.BadRequest, "reason", "ACC004");
        var unchanged = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}");
        unchanged.GetProperty("status").GetString().ShouldBe("reported");
        unchanged.GetProperty("awareAt").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Only_the_dpo_or_an_administrator_handles_a_breach_and_an_auditor_reports_nothing()
    {
        var (staff, _, id, _) = await ReportAsync();
        (await staff.PostAsJsonAsync($"/api/breaches/{id}/triage", new { isBreach = true, awareAt = Now, reason = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staff.GetAsync($"/api/breaches/{id}/ico-report")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await auditor.PostAsJsonAsync("/api/breaches", Report())).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await auditor.GetAsync("/api/breaches?format=csv")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await App.Client().GetAsync("/api/breaches")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_staff_member_who_forges_the_dpos_triage_form_on_the_breach_page_is_refused_and_nothing_changes()
    {
        var (_, dpo, id, _) = await ReportAsync();
        await App.CreateUserAsync("reporter@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("reporter@example.org");
        var page = await ui.GetPageAsync($"/breaches/{id}");
        page.ShouldNotContain("name=\"_handler\" value=\"triage\"", Case.Sensitive, "the DPO's forms are not shown to staff");
        // The antiforgery token is the session's, so a form on any page Staff may use gives one.
        var token = System.Text.RegularExpressions.Regex.Match(await ui.GetPageAsync("/breaches/new"), "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        token.Success.ShouldBeTrue();
        var forged = await ui.Client.PostAsync($"/breaches/{id}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "triage",
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
            ["Triage.IsBreach"] = "true",
            ["Triage.AwareAt"] = Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm"),
            ["Triage.Reason"] = "Forged by a staff member.",
        }));
        ((int)forged.StatusCode).ShouldBeInRange(400, 403, await forged.Content.ReadAsStringAsync());
        var unchanged = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}");
        unchanged.GetProperty("status").GetString().ShouldBe("reported");
        unchanged.GetProperty("awareAt").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Concurrent_changes_to_one_breach_are_each_applied_and_audited_or_refused_with_409_never_a_500()
    {
        var (_, dpo, id, _) = await ReportAsync();
        await TriageAsync(dpo, id, Now.AddHours(-1));
        var responses = await Task.WhenAll(Enumerable.Range(1, 8).Select(i =>
            dpo.PostAsJsonAsync($"/api/breaches/{id}/actions", new { description = $"Follow-up {i}", owner = "IT", dueAt = Now.AddDays(i) })));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        statuses.ShouldAllBe(s => s == HttpStatusCode.OK || s == HttpStatusCode.Conflict);
        var applied = statuses.Count(s => s == HttpStatusCode.OK);
        applied.ShouldBeGreaterThan(0);
        var breach = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}");
        breach.GetProperty("actions").GetArrayLength().ShouldBe(applied);
        var audited = await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Target == $"breach:{id}" && e.Action == "breaches.action_added"));
        audited.ShouldBe(applied);
    }

    [Fact]
    public async Task ACC009_ACC004_a_risk_score_outside_the_scale_or_a_decision_without_a_reason_is_refused_and_nothing_changes()
    {
        var (_, dpo, id, _) = await ReportAsync();
        await TriageAsync(dpo, id, Now);
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", new { dpcBase = 5, ei = 1, riskReason = "x" }), HttpStatusCode.BadRequest, "dpcBase", "ACC009");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", new { dpcBase = 2, ei = 0.6, riskReason = "x" }), HttpStatusCode.BadRequest, "ei", "ACC009");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", new { dpcBase = 2, ei = 1, cb = new { lossOfIntegrity = 0.75 }, riskReason = "x" }),
            HttpStatusCode.BadRequest, "cb.lossOfIntegrity", "ACC009");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", new { dpcBase = 2, ei = 1 }), HttpStatusCode.BadRequest, "riskReason", "ACC004");
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}")).GetProperty("severity").ValueKind.ShouldBe(JsonValueKind.Null);

        (await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions", new { kind = "ico", notify = true, reason = "x" })).StatusCode
            .ShouldBe(HttpStatusCode.Conflict, "decisions follow the assessment");
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", Pharmacy));
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions", new { kind = "ico", notify = false }), HttpStatusCode.BadRequest, "reason", "ACC006");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions", new { kind = "ico", notify = true, reason = "  " }), HttpStatusCode.BadRequest, "reason", "ACC004");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions", new { kind = "individuals", notify = false, reason = "Too many people" }),
            HttpStatusCode.BadRequest, "art34Exception", "ACC007");
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions", new { kind = "individuals", notify = false, reason = "Too many", art34Exception = "disproportionateEffort" }),
            HttpStatusCode.BadRequest, "publicCommunication", "ACC007");
        var view = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}");
        view.GetProperty("icoDecision").ValueKind.ShouldBe(JsonValueKind.Null);
        view.GetProperty("individualsDecision").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task ACC003_a_notification_after_the_deadline_needs_the_reasons_for_the_delay()
    {
        var (_, dpo, id, _) = await ReportAsync();
        await TriageAsync(dpo, id, Now);
        App.Time.Advance(TimeSpan.FromHours(73));
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/ico-notifications", new { type = "initial", caseReference = "IC-1234" }),
            HttpStatusCode.BadRequest, "lateReason", "ACC003");
        var notified = await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/ico-notifications",
            new { type = "initial", caseReference = "IC-1234", lateReason = "The supplier confirmed the data was personal only on day four." }));
        notified.GetProperty("status").GetString().ShouldBe("notified");
        notified.GetProperty("icoNotifications")[0].GetProperty("late").GetBoolean().ShouldBeTrue();
        notified.GetProperty("clockRunning").GetBoolean().ShouldBeFalse();
        var report = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}/ico-report");
        report.GetProperty("whatHappened").GetProperty("reportedAfter72Hours").GetBoolean().ShouldBeTrue();
        report.GetProperty("whatHappened").GetProperty("reasonsForDelay").GetString()!.ShouldContain("day four");
        report.GetProperty("report").GetProperty("reportType").GetString().ShouldBe("followUp");
        report.GetProperty("report").GetProperty("icoCaseReference").GetString().ShouldBe("IC-1234");
    }

    [Fact]
    public async Task ACC006_ACC007_ACC008_ACC010_a_high_risk_breach_is_assessed_decided_drafted_told_to_people_and_closed()
    {
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        (await admin.PutAsJsonAsync("/api/register/organisation", new { name = "Example Pharmacy Ltd", address = "1 High Street", dpo = new { name = "Dee Poe", email = "dpo@example.org" } }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        var (_, dpo, id, _) = await ReportAsync();
        await TriageAsync(dpo, id, Now);

        var assessed = await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", Pharmacy));
        assessed.GetProperty("severity").GetProperty("se").GetDecimal().ShouldBe(4.0m);
        assessed.GetProperty("severity").GetProperty("band").GetString().ShouldBe("veryHigh");
        assessed.GetProperty("riskLevel").GetString().ShouldBe("highRisk");
        assessed.GetProperty("status").GetString().ShouldBe("assessed");

        var report = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}/ico-report");
        report.GetProperty("complete").GetBoolean().ShouldBeTrue(report.ToString());
        var art33 = report.GetProperty("art33");
        art33.GetProperty("nature").GetString()!.ShouldContain("about 120 people (customer) and about 300 records");
        art33.GetProperty("contact").GetString()!.ShouldContain("dpo@example.org");
        art33.GetProperty("likelyConsequences").GetString()!.ShouldContain("phishing");
        art33.GetProperty("measures").GetString()!.ShouldContain("supplier to delete");
        report.GetProperty("organisation").GetProperty("name").GetString().ShouldBe("Example Pharmacy Ltd");
        report.GetProperty("dataAndPeople").GetProperty("dataCategories").EnumerateArray().Select(c => c.GetString()).ShouldContain("basic personal identifiers");
        report.GetProperty("whatHappened").GetProperty("causedByCyberIncident").GetString().ShouldBe("yes");
        var html = await dpo.GetAsync($"/api/breaches/{id}/ico-report?format=html");
        html.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await html.Content.ReadAsStringAsync()).ShouldContain("Every Art. 33(3) item is present.");

        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions", new { kind = "ico", notify = true, reason = "High risk to customers." }));
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/ico-notifications", new { type = "initial", caseReference = "IC-777" }));
        (await dpo.PostAsync($"/api/breaches/{id}/letter/send", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict, "no decision to tell people yet");
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions", new { kind = "individuals", notify = true, reason = "High risk: people can protect themselves." }));
        var letter = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}/letter");
        letter.GetProperty("complete").GetBoolean().ShouldBeTrue();
        var body = letter.GetProperty("body").GetString()!;
        body.ShouldContain("wrong supplier");
        body.ShouldContain("dpo@example.org");
        body.ShouldContain("phishing");
        body.ShouldContain("passwords were reset");
        body.ShouldContain("Be wary of messages");

        (await dpo.PutAsJsonAsync($"/api/breaches/{id}/affected-people", new { people = new[] { new { email = "not-an-address" } } })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        await Ok(await dpo.PutAsJsonAsync($"/api/breaches/{id}/affected-people", new
        {
            people = new[] { new { email = "seeded.victim@example.net", name = (string?)"Ana" }, new { email = "ben@example.net", name = (string?)null } },
        }));
        var stored = await App.WithDbAsync(db => db.Set<Breach>().Select(b => b.AffectedPeopleEncrypted).SingleAsync());
        stored!.ShouldNotContain("seeded");
        var sent = await Ok(await dpo.PostAsync($"/api/breaches/{id}/letter/send", null));
        sent.GetProperty("communications")[0].GetProperty("recipients").GetInt32().ShouldBe(2);
        var letters = (await App.WithDbAsync(db => db.Set<OutboxMessage>().Where(m => m.Purpose == "breaches.letter").ToListAsync())).Decrypted(App);
        letters.Count.ShouldBe(2);
        letters.ShouldContain(m => m.Body.StartsWith("Dear Ana,"));

        var withAction = await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/actions", new { description = "Add recipient checks to outgoing mail", owner = "IT", dueAt = Now.AddDays(14) }));
        var actionId = withAction.GetProperty("actions")[0].GetProperty("id").GetGuid();
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/actions", new { description = "Retrain the team", owner = "HR", dueAt = Now.AddDays(30) }));
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/close", new { lessonsLearned = "Check recipients." }), HttpStatusCode.Conflict, "actions", "ACC010");
        await Ok(await dpo.PostAsync($"/api/breaches/{id}/actions/{actionId}/done", null));
        var retrain = (await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}")).GetProperty("actions").EnumerateArray().Single(a => a.GetProperty("doneAt").ValueKind == JsonValueKind.Null).GetProperty("id").GetGuid();
        await Problem(await dpo.PostAsJsonAsync($"/api/breaches/{id}/actions/{retrain}/waive", new { reason = "" }), HttpStatusCode.BadRequest, "reason", "ACC010");
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/actions/{retrain}/waive", new { reason = "Covered by the annual refresher next week." }));
        var closed = await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/close", new { lessonsLearned = "Check recipients." }));
        closed.GetProperty("status").GetString().ShouldBe("closed");
        closed.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldBe(
            ["reported", "dpo_notified", "triaged", "assessed", "ico_decision", "ico_notified", "individuals_decision", "affected_people", "letter_sent",
             "action_added", "action_added", "action_done", "action_waived", "closed"]);
        var timeline = await App.WithDbAsync(db => db.Set<BreachEvent>().Select(e => e.Summary).ToListAsync());
        timeline.ShouldAllBe(s => !s.Contains("seeded"));
        var audit = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == $"breach:{id}").Select(e => e.Action).ToListAsync());
        audit.ShouldContain("breaches.closed");
        audit.ShouldContain("breaches.letter_sent");
    }

    [Fact]
    public async Task ACC007_an_art34_exception_is_recorded_instead_of_telling_people()
    {
        var (_, dpo, id, _) = await ReportAsync();
        await TriageAsync(dpo, id, Now);
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", Pharmacy));
        var decided = await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/decisions",
            new { kind = "individuals", notify = false, reason = "The laptop's disk was encrypted with AES-256; the key was not on it.", art34Exception = "unintelligible" }));
        decided.GetProperty("individualsDecision").GetProperty("art34Exception").GetString().ShouldBe("unintelligible");
        decided.GetProperty("individualsDecision").GetProperty("decidedBy").GetString()!.ShouldStartWith("token:");
        var report = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{id}/ico-report");
        report.GetProperty("tellingOthers").GetProperty("whyNotTold").GetString()!.ShouldContain("Art. 34(3)(a)");
    }

    [Fact]
    public async Task ACC005_a_report_that_is_not_a_breach_stays_in_the_register_and_every_breach_exports_as_csv()
    {
        var (staff, dpo, id, _) = await ReportAsync();
        var notBreach = await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/triage", new { isBreach = false, reason = "The spreadsheet held only product codes, no personal data." }));
        notBreach.GetProperty("icoDeadline").ValueKind.ShouldBe(JsonValueKind.Null);
        notBreach.GetProperty("clockRunning").GetBoolean().ShouldBeFalse();
        (await dpo.PostAsJsonAsync($"/api/breaches/{id}/assessment", Pharmacy)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{id}/close", new { }));

        var (_, _, second, _) = await ReportAsync();
        await TriageAsync(dpo, second, Now);
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{second}/assessment", new
        {
            dpcBase = 1,
            ei = 1,
            cb = new { lossOfConfidentiality = 0.25 },
            riskReason = "Forty work numbers to one supplier who deleted them.",
        }));
        var none = await dpo.GetFromJsonAsync<JsonElement>($"/api/breaches/{second}");
        none.GetProperty("riskLevel").GetString().ShouldBe("none");
        await Ok(await dpo.PostAsJsonAsync($"/api/breaches/{second}/close", new { }));

        (await dpo.DeleteAsync($"/api/breaches/{id}")).IsSuccessStatusCode.ShouldBeFalse("nothing in the register is ever deleted");
        var csv = await dpo.GetAsync("/api/breaches?format=csv");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(3);
        lines[0].ShouldStartWith("reference,title,status,is_breach,triage_reason");
        lines[1].ShouldContain("BRE-2026-0001");
        lines[1].ShouldContain("product codes");
        lines[2].ShouldContain("Forty work numbers");
        lines[2].ShouldContain(",none,");
        (await staff.GetAsync("/api/breaches?format=xml")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "breaches.exported"))).ShouldBe(1);
    }
}
