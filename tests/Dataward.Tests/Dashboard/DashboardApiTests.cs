using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Connections;
using Dataward.Tests.Platform;
using Dataward.Tests.Retention;

namespace Dataward.Tests.Dashboard;

public sealed class DashboardApiTests_Sqlite() : DashboardApiTests(StorageProvider.Sqlite);

public sealed class DashboardApiTests_Postgres() : DashboardApiTests(StorageProvider.Postgres);

/// <summary>The DPO's workspace (issue 7 point 4, ACC016) and the report to senior management (point 7, §5), seeded
/// through the public API of each capability and read through /api/dashboard, /api/reports/management and the pages.</summary>
public abstract class DashboardApiTests(StorageProvider provider) : AppTest(provider)
{
    // The fake clock starts on Wednesday 25 November 2026, 09:00 UTC (GMT in London).
    private DateTimeOffset Now => App.Time.GetUtcNow();

    private const string Activity = """
        {"name": "Loyalty scoring", "status": "active", "purposes": ["essential.service"],
         "dataSubjects": ["customer"], "dataCategories": ["user.contact.email", "user.name"],
         "lawfulBasis": "contract", "lawfulBasisDetail": "Loyalty terms", "sources": ["account-application-form"],
         "retention": {"period": "P6Y", "trigger": "account closed"}, "recipients": [], "transfers": []}
        """;

    private static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
    }

    private static async Task Problem(HttpResponseMessage response, string field)
    {
        var problem = await Expect(response, HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.ToString());
    }

    private static async Task<Guid> CreateActivityAsync(HttpClient dpo, string name) =>
        (await Expect(await dpo.PostAsync("/api/register/activities", new StringContent(Activity.Replace("Loyalty scoring", name), Encoding.UTF8, "application/json")),
            HttpStatusCode.Created)).GetProperty("id").GetGuid();

    private static async Task<Guid> RequestAsync(HttpClient staff, string type, DateTimeOffset receivedAt) =>
        (await Expect(await staff.PostAsJsonAsync("/api/requests", new
        {
            type,
            identities = new { email = "ana@example.com" },
            channel = "email",
            identityChecked = "Reply from the address on the account",
            receivedAt,
        }), HttpStatusCode.Created)).GetProperty("id").GetGuid();

    private static async Task<Guid> BreachAsync(HttpClient staff, DateTimeOffset discoveredAt) =>
        (await Expect(await staff.PostAsJsonAsync("/api/breaches", new
        {
            title = "Customer list e-mailed to Pat Smith at the wrong supplier",
            description = "A spreadsheet of customer names and delivery addresses went to the wrong supplier.",
            occurredAt = discoveredAt.AddHours(-5),
            discoveredAt,
            systems = new[] { "Outlook" },
            dataCategories = new[] { "user.contact.email", "user.name" },
            approximateSubjects = 120,
            approximateRecords = 300,
            containment = "Asked the supplier to delete it.",
        }), HttpStatusCode.Created)).GetProperty("id").GetGuid();

    private static async Task TriageAsync(HttpClient dpo, Guid id, DateTimeOffset awareAt, bool isBreach = true) =>
        await Expect(await dpo.PostAsJsonAsync($"/api/breaches/{id}/triage", new { isBreach, awareAt, reason = "Personal data left our control." }),
            HttpStatusCode.OK);

    private static async Task<JsonElement> DashboardAsync(HttpClient client, string query = "") =>
        await Expect(await client.GetAsync("/api/dashboard" + query), HttpStatusCode.OK);

    private static List<JsonElement> Items(JsonElement dashboard) =>
        dashboard.GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("items").EnumerateArray()).ToList();

    [Fact]
    public async Task ACC016_one_overdue_item_of_each_kind_appears_with_its_link_and_nothing_due_after_30_days()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var activityId = await CreateActivityAsync(dpo, "Loyalty scoring");
        var ruleId = (await Expect(await dpo.PostAsJsonAsync("/api/retention/rules", RetentionScheduleTests.LoginRule()), HttpStatusCode.Created))
            .GetProperty("id").GetGuid();
        var requestId = await RequestAsync(staff, "access", Now);
        var clockBreach = await BreachAsync(staff, Now.AddHours(-3));
        await TriageAsync(dpo, clockBreach, Now.AddHours(-1));
        var dpiaId = (await Expect(await dpo.PostAsJsonAsync("/api/dpias", new { activityId, need = "Customers are scored on their purchases." }),
            HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await Expect(await dpo.PostAsJsonAsync($"/api/dpias/{dpiaId}/advice", new { advice = "Offer a human review of every tier." }), HttpStatusCode.OK);
        await Expect(await dpo.PostAsJsonAsync("/api/training/courses", new { title = "Data protection induction", kind = "induction", mandatory = true }),
            HttpStatusCode.Created);
        var staffId = (await Expect(await dpo.PostAsJsonAsync("/api/training/staff",
                new { name = "Robin Newstarter", email = "robin@example.org", startDate = "2026-11-02", department = "Sales" }), HttpStatusCode.Created))
            .GetProperty("id").GetGuid();
        var complaintId = (await Expect(await staff.PostAsJsonAsync("/api/complaints", new
        {
            channel = "email",
            complainant = new { name = "Lee Roe", email = "lee@example.org" },
            subject = "Marketing after I objected",
            details = "I objected to marketing in June and still get your newsletter.",
        }), HttpStatusCode.Created)).GetProperty("id").GetGuid();

        // Thirteen months on, every clock above has run out; a suspected breach reported now waits for triage.
        App.Time.Advance(TimeSpan.FromDays(400));
        dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var suspected = await BreachAsync(staff, Now.AddHours(-1));
        await CreateActivityAsync(dpo, "Newsletter");

        var dashboard = await DashboardAsync(dpo);
        var items = Items(dashboard);
        var expected = new (string Kind, string Href, bool Overdue)[]
        {
            ("registerReview", $"/register/{activityId}", true),
            ("retentionReview", $"/retention/{ruleId}", true),
            ("request", $"/requests/{requestId}", true),
            ("breachClock", $"/breaches/{clockBreach}", true),
            ("breachTriage", $"/breaches/{suspected}", false),
            ("dpiaSignOff", $"/dpias/{dpiaId}", false),
            ("training", $"/training/staff/{staffId}", true),
            ("complaintAcknowledgement", $"/complaints/{complaintId}", true),
        };
        foreach (var (kind, href, overdue) in expected)
        {
            var item = items.Where(i => i.GetProperty("kind").GetString() == kind).ShouldHaveSingleItem(kind);
            item.GetProperty("href").GetString().ShouldBe(href);
            item.GetProperty("overdue").GetBoolean().ShouldBe(overdue, kind);
            if (overdue)
            {
                item.GetProperty("dueAt").GetDateTimeOffset().ShouldBeLessThan(Now, kind);
            }
        }
        items.Count.ShouldBe(expected.Length, "the activity registered today is due for review in six months, so it is not listed");
        items.ShouldAllBe(i => i.GetProperty("dueAt").ValueKind == JsonValueKind.Null || i.GetProperty("dueAt").GetDateTimeOffset() <= Now.AddDays(30));
        dashboard.GetProperty("total").GetInt32().ShouldBe(expected.Length);
        dashboard.GetProperty("overdue").GetInt32().ShouldBe(expected.Count(e => e.Overdue));
        dashboard.GetProperty("horizonDays").GetInt32().ShouldBe(30);
        var titles = string.Join("\n", items.Select(i => i.GetProperty("title").GetString()));
        titles.ShouldContain("Loyalty scoring");
        titles.ShouldContain("Data protection induction");
        titles.ShouldContain("DSR-2026-");
        foreach (var personal in new[] { "ana@example.com", "Lee Roe", "lee@example.org", "Robin", "robin@example.org", "Pat Smith", "Marketing after" })
        {
            titles.ShouldNotContain(personal, Case.Insensitive, "titles name references, activities and courses, never people");
        }

        (await staff.GetAsync("/api/dashboard")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        Items(await DashboardAsync(auditor)).Count.ShouldBe(expected.Length);

        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var page = await ui.GetPageAsync("/dashboard");
        foreach (var (_, href, _) in expected)
        {
            page.ShouldContain($"href=\"{href}\"");
        }
        page.ShouldContain("<title id=\"requests-chart-title\">");
        (await ui.GetPageAsync("/")).ShouldContain("href=\"/dashboard\"");

        // The ICO is told late, with reasons, and a follow-up action opened: the clock leaves the dashboard and the
        // management report of the thirteen months shows the rest.
        await Expect(await dpo.PostAsJsonAsync($"/api/breaches/{clockBreach}/ico-notifications",
            new { type = "initial", caseReference = "IC-1234", lateReason = "The supplier confirmed the data was personal only this week." }), HttpStatusCode.OK);
        await Expect(await dpo.PostAsJsonAsync($"/api/breaches/{clockBreach}/actions",
            new { description = "Check recipients before sending attachments", owner = "Head of Sales", dueAt = Now.AddDays(7) }), HttpStatusCode.OK);
        Items(await DashboardAsync(dpo)).ShouldNotContain(i => i.GetProperty("kind").GetString() == "breachClock");
        var report = await Expect(await auditor.GetAsync("/api/reports/management?from=2026-11-01&to=2027-12-31"), HttpStatusCode.OK);
        var register = report.GetProperty("register");
        (register.GetProperty("activeActivities").GetInt32(), register.GetProperty("reviewsOverdue").GetInt32(),
            register.GetProperty("reviewsDueWithin30Days").GetInt32()).ShouldBe((2, 1, 0));
        var retention = report.GetProperty("retention");
        (retention.GetProperty("rules").GetInt32(), retention.GetProperty("reviewsOverdue").GetInt32()).ShouldBe((1, 1));
        var requests = report.GetProperty("requests");
        (requests.GetProperty("received").GetInt32(), requests.GetProperty("decided").GetInt32(), requests.GetProperty("answeredOnTime").GetInt32(),
            requests.GetProperty("openOverdue").GetInt32()).ShouldBe((1, 1, 0, 1));
        var breaches = report.GetProperty("breaches");
        (breaches.GetProperty("recorded").GetInt32(), breaches.GetProperty("notifiedToIco").GetInt32(), breaches.GetProperty("notNotified").GetInt32())
            .ShouldBe((2, 1, 1));
        var lateOne = breaches.GetProperty("lateNotifications").EnumerateArray().ShouldHaveSingleItem();
        lateOne.GetProperty("lateReason").GetString().ShouldBe("The supplier confirmed the data was personal only this week.");
        var action = breaches.GetProperty("openActions").EnumerateArray().ShouldHaveSingleItem();
        action.GetProperty("description").GetString().ShouldBe("Check recipients before sending attachments");
        action.GetProperty("overdue").GetBoolean().ShouldBeFalse();
        var dpias = report.GetProperty("dpias");
        (dpias.GetProperty("awaitingSignOff").GetInt32(), dpias.GetProperty("signedOffInPeriod").GetInt32()).ShouldBe((1, 0));
        var trained = report.GetProperty("training");
        (trained.GetProperty("staff").GetInt32(), trained.GetProperty("upToDate").GetInt32(), trained.GetProperty("overdue").GetInt32())
            .ShouldBe((1, 0, 1));
        trained.GetProperty("coverage").GetDouble().ShouldBe(0);
        var complaints = report.GetProperty("complaints");
        (complaints.GetProperty("received").GetInt32(), complaints.GetProperty("acknowledged").GetInt32(), complaints.GetProperty("open").GetInt32())
            .ShouldBe((1, 0, 1));
    }

    [Fact]
    public async Task The_charts_count_requests_per_month_by_type_with_the_on_time_rate_and_breaches_per_quarter_by_risk_level()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        // 26 September: due 26 October, still open, so late. 16 October: refused today, a month after it was due.
        // 15 November: refused today, on time. Today: open and not yet due, so not counted either way.
        await RequestAsync(staff, "access", Now.AddDays(-60));
        var late = await RequestAsync(staff, "erasure", Now.AddDays(-40));
        var onTime = await RequestAsync(staff, "access", Now.AddDays(-10));
        await RequestAsync(staff, "access", Now);
        foreach (var id in new[] { late, onTime })
        {
            await Expect(await dpo.PostAsJsonAsync($"/api/requests/{id}/reject", new { ground = "exemption", reason = "Legal professional privilege covers the files." }),
                HttpStatusCode.OK);
        }

        var assessed = await BreachAsync(staff, Now.AddHours(-3));
        await TriageAsync(dpo, assessed, Now.AddHours(-2));
        await Expect(await dpo.PostAsJsonAsync($"/api/breaches/{assessed}/assessment", new
        {
            dpcBase = 1,
            dpcAdjustments = new[] { new { change = 2, reason = "A pharmacy's customer list implies a health interest" } },
            ei = 1,
            cb = new { lossOfConfidentiality = 0.5, maliciousIntent = 0.5 },
            riskReason = "Names and addresses of pharmacy customers posted publicly.",
        }), HttpStatusCode.OK);
        var summer = await BreachAsync(staff, new DateTimeOffset(2026, 8, 3, 10, 0, 0, TimeSpan.Zero));
        await TriageAsync(dpo, summer, new DateTimeOffset(2026, 8, 3, 12, 0, 0, TimeSpan.Zero));
        var notBreach = await BreachAsync(staff, Now.AddDays(-5));
        await TriageAsync(dpo, notBreach, Now.AddDays(-5), isBreach: false);

        var charts = (await DashboardAsync(dpo, "?months=3&quarters=4")).GetProperty("charts");
        var months = charts.GetProperty("requestsPerMonth").EnumerateArray().ToList();
        months.Select(m => m.GetProperty("month").GetString()).ShouldBe(["2026-09", "2026-10", "2026-11"]);
        months.Select(m => m.GetProperty("total").GetInt32()).ShouldBe([1, 1, 2]);
        months[0].GetProperty("byType").GetProperty("access").GetInt32().ShouldBe(1);
        months[1].GetProperty("byType").GetProperty("erasure").GetInt32().ShouldBe(1);
        months[2].GetProperty("byType").GetProperty("access").GetInt32().ShouldBe(2);
        months.Select(m => (m.GetProperty("decided").GetInt32(), m.GetProperty("onTime").GetInt32())).ShouldBe([(1, 0), (1, 0), (1, 1)]);
        months.Select(m => m.GetProperty("onTimeRate").GetDouble()).ShouldBe([0.0, 0.0, 1.0]);

        var quarters = charts.GetProperty("breachesPerQuarter").EnumerateArray().ToList();
        quarters.Select(q => q.GetProperty("quarter").GetString()).ShouldBe(["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]);
        quarters.Select(q => q.GetProperty("total").GetInt32()).ShouldBe([0, 0, 1, 1], "the incident found not to be a breach is left out");
        quarters[2].GetProperty("byRiskLevel").GetProperty("notAssessed").GetInt32().ShouldBe(1);
        quarters[3].GetProperty("byRiskLevel").GetProperty("highRisk").GetInt32().ShouldBe(1, "SE 4.0 suggests high risk");
        quarters[3].GetProperty("bySeverity").GetProperty("veryHigh").GetInt32().ShouldBe(1);
        (await DashboardAsync(dpo)).GetProperty("charts").GetProperty("requestsPerMonth").GetArrayLength().ShouldBe(12);

        var report = await Expect(await dpo.GetAsync("/api/reports/management?from=2026-10-01&to=2026-11-30&recommendations=" +
            Uri.EscapeDataString("Fund a second DPO deputy.")), HttpStatusCode.OK);
        report.GetProperty("from").GetString().ShouldBe("2026-10-01");
        report.GetProperty("dpoRecommendations").GetString().ShouldBe("Fund a second DPO deputy.");
        var requests = report.GetProperty("requests");
        requests.GetProperty("received").GetInt32().ShouldBe(3);
        requests.GetProperty("byType").GetProperty("access").GetInt32().ShouldBe(2);
        requests.GetProperty("byType").GetProperty("erasure").GetInt32().ShouldBe(1);
        requests.GetProperty("decided").GetInt32().ShouldBe(2);
        requests.GetProperty("answeredOnTime").GetInt32().ShouldBe(1);
        requests.GetProperty("onTimeRate").GetDouble().ShouldBe(0.5);
        requests.GetProperty("openOverdue").GetInt32().ShouldBe(0, "the overdue request of September is outside the period");
        var breaches = report.GetProperty("breaches");
        breaches.GetProperty("recorded").GetInt32().ShouldBe(1);
        breaches.GetProperty("notBreaches").GetInt32().ShouldBe(1);
        breaches.GetProperty("byRiskLevel").GetProperty("highRisk").GetInt32().ShouldBe(1);
        breaches.GetProperty("notifiedToIco").GetInt32().ShouldBe(0);
        breaches.GetProperty("notNotified").GetInt32().ShouldBe(1);
        report.GetProperty("complaints").GetProperty("received").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task The_management_report_refuses_a_bad_period_naming_the_field()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await Problem(await dpo.GetAsync("/api/reports/management?from=2026-12-01&to=2026-01-01"), "to");
        await Problem(await dpo.GetAsync("/api/reports/management?from=1%20March&to=2026-01-01"), "from");
        await Problem(await dpo.GetAsync("/api/reports/management?from=2026-01-01&to=2026-02-30"), "to");
        await Problem(await dpo.GetAsync("/api/reports/management?from=2019-01-01&to=2026-01-01"), "to");
        await Problem(await dpo.GetAsync("/api/reports/management?from=9999-06-01&to=9999-12-31"), "from");
        await Problem(await dpo.GetAsync("/api/reports/management?from=0001-01-01"), "from");
        await Problem(await dpo.GetAsync("/api/reports/management?recommendations=" + new string('x', 4001)), "recommendations");
        await Problem(await dpo.GetAsync("/api/dashboard?months=0"), "months");
        await Problem(await dpo.GetAsync("/api/dashboard?quarters=13"), "quarters");
        var fine = await Expect(await dpo.GetAsync("/api/reports/management"), HttpStatusCode.OK);
        fine.GetProperty("to").GetString().ShouldBe("2026-11-25");
        fine.GetProperty("from").GetString().ShouldBe("2025-11-26", "the twelve months to today by default");
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.GetAsync("/api/reports/management")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var openApi = await App.Client().GetStringAsync("/openapi/v1.json");
        openApi.ShouldContain("\"/api/dashboard\"");
        openApi.ShouldContain("\"/api/reports/management\"");

        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var bad = await ui.GetAsync("/reports/management?from=2026-12-01&to=2026-01-01");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).ShouldContain("The period ends before it starts");
        var page = await ui.GetPageAsync("/reports/management?from=2026-01-01&to=2026-11-30&recommendations=" + Uri.EscapeDataString("Train the <b>sales</b> team."));
        page.ShouldContain("Data protection report to senior management");
        page.ShouldContain("Train the &lt;b&gt;sales&lt;/b&gt; team.");
    }
}
