using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Retention;
using Dataward.Tests.Connections;
using Dataward.Tests.Connectors;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Retention;

public sealed class RetentionScheduleTests_Sqlite() : RetentionScheduleTests(StorageProvider.Sqlite);

public sealed class RetentionScheduleTests_Postgres() : RetentionScheduleTests(StorageProvider.Postgres);

/// <summary>The retention schedule through the API on a connected copy of the Fides example shop: rules checked against
/// the dataset and the database (MIN001), the restrictive default (MIN023), the DPO's annual review with its reminder
/// (MIN006), changes, retirement and exports.</summary>
public abstract class RetentionScheduleTests(StorageProvider provider) : AppTest(provider)
{
    internal static object LoginRule(string? action = "erase", string period = "P2Y", string name = "Logins") => new
    {
        name,
        dataset = FidesExampleDatabase.DatasetKey,
        collection = "login",
        triggerField = "time",
        period,
        action,
        reason = "Business need: sign-in history helps resolve disputes for two years",
    };

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task MIN001_a_rule_with_no_or_a_non_date_trigger_field_a_period_of_zero_or_less_or_no_reason_is_refused_naming_the_field()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var key = FidesExampleDatabase.DatasetKey;
        var cases = new (string Body, string Field)[]
        {
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","period":"P2Y","action":"erase","reason":"r"}""", "triggerField"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"customer","triggerField":"email","period":"P2Y","action":"erase","reason":"r"}""", "triggerField"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"customer","triggerField":"nickname","period":"P2Y","action":"erase","reason":"r"}""", "triggerField"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","triggerField":"time","period":"P0D","action":"erase","reason":"r"}""", "period"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","triggerField":"time","period":"-P1Y","action":"erase","reason":"r"}""", "period"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","triggerField":"time","period":"two years","action":"erase","reason":"r"}""", "period"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","triggerField":"time","period":"P2Y","action":"erase"}""", "reason"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","triggerField":"time","period":"P2Y","action":"shred","reason":"r"}""", "action"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","triggerField":"time","period":"P2Y","reason":"r","schedule":"every night"}""", "schedule"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"login","triggerField":"time","period":"P2Y","reason":"r","category":"user.nonsense"}""", "category"),
            ("""{"name":"x","dataset":"crm","collection":"users","triggerField":"created","period":"P2Y","reason":"r"}""", "dataset"),
            ($$"""{"name":"x","dataset":"{{key}}","collection":"users","triggerField":"created","period":"P2Y","reason":"r"}""", "collection"),
        };
        foreach (var (body, field) in cases)
        {
            var response = await dpo.PostAsync("/api/retention/rules", Body(body));
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
            var problem = JsonDocument.Parse(text).RootElement;
            problem.GetProperty("errors").TryGetProperty(field, out var __).ShouldBeTrue($"{body} -> {text}");
            if (field is "triggerField" or "period" or "reason" or "action")
            {
                problem.GetProperty("ruleId").GetString().ShouldBe("MIN001", text);
            }
        }
        (await App.WithDbAsync(db => db.Set<RetentionRuleRecord>().CountAsync())).ShouldBe(0, "nothing is saved");
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsJsonAsync("/api/retention/rules", LoginRule())).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task MIN001_a_rule_on_a_dataset_without_a_connection_cannot_have_its_trigger_checked_and_is_refused()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsync("/api/datasets", new StringContent(Datasets.FidesDatasetTests.Fixture("postgres_example_test_dataset.yml"), Encoding.UTF8,
            "application/yaml"))).EnsureSuccessStatusCode();
        var response = await dpo.PostAsJsonAsync("/api/retention/rules", LoginRule());
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain("has no connection");
    }

    [Fact]
    public async Task MIN023_a_rule_without_an_action_only_flags_rows_for_review_and_has_no_schedule()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var created = await dpo.PostAsJsonAsync("/api/retention/rules", LoginRule(action: null));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var rule = await Json(created);
        rule.GetProperty("action").GetString().ShouldBe("review");
        rule.GetProperty("schedule").ValueKind.ShouldBe(JsonValueKind.Null);
        rule.GetProperty("needsDryRun").GetBoolean().ShouldBeTrue();
        created.Headers.Location!.ToString().ShouldBe($"/api/retention/rules/{rule.GetProperty("id").GetGuid()}");
        // The issue's own example, word for word, with the action named.
        var example = await dpo.PostAsJsonAsync("/api/retention/rules", LoginRule(action: "erase", name: "Logins, erased"));
        (await Json(example)).GetProperty("action").GetString().ShouldBe("erase");
        (await dpo.PostAsJsonAsync("/api/retention/rules", LoginRule(name: "Logins"))).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task MIN006_the_schedule_shows_the_next_review_a_year_on_flags_it_overdue_reminds_the_dpo_before_and_the_dpo_signs_it_off()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var rule = await Json(await dpo.PostAsJsonAsync("/api/retention/rules", LoginRule()));
        var id = rule.GetProperty("id").GetGuid();
        rule.GetProperty("nextReviewDue").GetDateTimeOffset().ShouldBe(App.Time.GetUtcNow().AddYears(1));
        rule.GetProperty("overdue").GetBoolean().ShouldBeFalse();

        async Task<int> RemindAsync()
        {
            await using var scope = App.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RetentionService>().QueueReviewRemindersAsync();
        }
        (await RemindAsync()).ShouldBe(0, "not due for a year");
        App.Time.Advance(TimeSpan.FromDays(365 - 20));
        (await RemindAsync()).ShouldBe(1, "20 days before the date");
        (await RemindAsync()).ShouldBe(0, "once per due date");
        var soon = (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "retention.review_reminder"))).Decrypted(App);
        soon.Subject.ShouldBe("Retention schedule review: 0 overdue, 1 due soon");
        soon.Body.ShouldContain("Logins (postgres_example_test_dataset.login, P2Y, erase): due");

        App.Time.Advance(TimeSpan.FromDays(21));
        var overdue = await dpo.GetFromJsonAsync<JsonElement>($"/api/retention/rules/{id}");
        overdue.GetProperty("overdue").GetBoolean().ShouldBeTrue();
        (await dpo.GetFromJsonAsync<JsonElement>("/api/retention/rules"))[0].GetProperty("overdue").GetBoolean().ShouldBeTrue();

        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        (await admin.PostAsJsonAsync($"/api/retention/rules/{id}/review", new { notes = "fine" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var reviewed = await Json(await dpo.PostAsJsonAsync($"/api/retention/rules/{id}/review", new { notes = "Still needed for disputes." }));
        reviewed.GetProperty("lastReviewedAt").GetDateTimeOffset().ShouldBe(App.Time.GetUtcNow());
        reviewed.GetProperty("lastReviewedBy").GetString()!.ShouldStartWith("token:");
        reviewed.GetProperty("nextReviewDue").GetDateTimeOffset().ShouldBe(App.Time.GetUtcNow().AddYears(1));
        reviewed.GetProperty("overdue").GetBoolean().ShouldBeFalse();
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "retention.rule_reviewed"))).ShouldBe(1);
        (await dpo.PostAsync($"/api/retention/rules/{Guid.NewGuid()}/review", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_rule_changes_by_put_and_patch_into_new_versions_is_deleted_until_applied_and_the_schedule_exports_as_csv_and_xlsx()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var id = (await Json(await dpo.PostAsJsonAsync("/api/retention/rules", LoginRule()))).GetProperty("id").GetGuid();

        var patched = await Json(await dpo.PatchAsync($"/api/retention/rules/{id}", JsonContent.Create(new { period = "P3Y", schedule = "0 2 * * *" })));
        patched.GetProperty("version").GetInt32().ShouldBe(2);
        patched.GetProperty("period").GetString().ShouldBe("P3Y");
        patched.GetProperty("action").GetString().ShouldBe("erase", "PATCH keeps what it does not name");
        patched.GetProperty("nextRunAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 11, 26, 2, 0, 0, TimeSpan.Zero));
        (await dpo.PatchAsync($"/api/retention/rules/{id}", JsonContent.Create(new { period = "P0Y" }))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var replaced = await Json(await dpo.PutAsJsonAsync($"/api/retention/rules/{id}", LoginRule(action: "anonymise", period: "P18M")));
        replaced.GetProperty("version").GetInt32().ShouldBe(3);
        replaced.GetProperty("schedule").ValueKind.ShouldBe(JsonValueKind.Null, "PUT replaces the whole rule");
        var unchanged = await Json(await dpo.PutAsJsonAsync($"/api/retention/rules/{id}", LoginRule(action: "anonymise", period: "P18M")));
        unchanged.GetProperty("version").GetInt32().ShouldBe(3, "the same rule again is not a new version");

        var csv = await dpo.GetStringAsync("/api/retention/rules/export?format=csv");
        csv.ShouldContain("Rule,Data category,Processing activity,Dataset,Collection,Trigger field");
        csv.ShouldContain("Logins,(the collection's categories),,postgres_example_test_dataset,login,time,,P18M,anonymise");
        var xlsx = await dpo.GetAsync("/api/retention/rules/export?format=xlsx");
        xlsx.Content.Headers.ContentType!.MediaType.ShouldBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        var rows = MiniExcelLibs.MiniExcel.Query(await xlsx.Content.ReadAsStreamAsync(), useHeaderRow: true).Cast<IDictionary<string, object>>().ToList();
        rows.ShouldHaveSingleItem()["Period"].ShouldBe("P18M");
        (await dpo.GetAsync("/api/retention/rules/export?format=pdf")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await dpo.DeleteAsync($"/api/retention/rules/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await dpo.GetAsync($"/api/retention/rules/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "never applied, so deleted");
        var actions = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action.StartsWith("retention.")).OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync());
        actions.ShouldBe(["retention.rule_created", "retention.rule_changed", "retention.rule_changed", "retention.rule_deleted"]);
    }
}
