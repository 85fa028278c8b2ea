using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Register;

public sealed class RegisterApiTests_Sqlite() : RegisterApiTests(StorageProvider.Sqlite);

public sealed class RegisterApiTests_Postgres() : RegisterApiTests(StorageProvider.Postgres);

/// <summary>The register through its REST API, on both databases.</summary>
public abstract class RegisterApiTests(StorageProvider provider) : AppTest(provider)
{
    /// <summary>The activity of the API contract, verbatim.</summary>
    public const string CustomerAccounts = """
        {"name": "Customer accounts", "status": "active", "purposes": ["essential.service"],
         "dataSubjects": ["customer"], "dataCategories": ["user.contact.email", "user.name"],
         "lawfulBasis": "contract", "lawfulBasisDetail": "Account terms", "article9Condition": null,
         "sources": ["account-application-form"], "retention": {"period": "P6Y", "trigger": "account closed"},
         "recipients": [], "transfers": [], "datasets": ["postgres_example_test_dataset"]}
        """;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string With(string json, string property, object? value)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node[property] = value is null ? null : System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(value));
        return node.ToJsonString();
    }

    private async Task<JsonElement> CreateAsync(HttpClient client, string json)
    {
        var response = await client.PostAsync("/api/register/activities", Json(json));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task The_dpo_records_an_activity_and_everyone_signed_in_can_read_it_with_derived_facts()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var created = await CreateAsync(dpo, CustomerAccounts);
        created.GetProperty("version").GetInt32().ShouldBe(1);
        created.GetProperty("rightsAvailable").EnumerateArray().Select(r => r.GetString()).ShouldContain("portability");
        created.GetProperty("specialCategories").GetArrayLength().ShouldBe(0);
        created.GetProperty("overdue").GetBoolean().ShouldBeFalse();
        created.GetProperty("reviewDueAt").GetDateTimeOffset().ShouldBe(App.Time.GetUtcNow().AddMonths(6));

        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var id = created.GetProperty("id").GetGuid();
        var read = await staff.GetAsync($"/api/register/activities/{id}");
        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        read.Headers.ETag!.Tag.ShouldBe("\"1\"");
        var activity = await read.Content.ReadFromJsonAsync<JsonElement>();
        activity.GetProperty("datasets")[0].GetString().ShouldBe("postgres_example_test_dataset");
        activity.GetProperty("retention").GetProperty("period").GetString().ShouldBe("P6Y");
        (await staff.PostAsync("/api/register/activities", Json(CustomerAccounts))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var audited = await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "register.activity_created" && e.Target == $"activity:{id}"));
        audited.ShouldBe(1);
    }

    [Theory]
    [InlineData("lawfulBasis", "becauseWeCan", "REG001", "lawfulBasis")]
    [InlineData("lawfulBasisDetail", "", "REG002", "lawfulBasisDetail")]
    [InlineData("retention", null, "REG011", "retention")]
    public async Task Invalid_activities_are_refused_with_the_field_and_rule_and_nothing_is_stored(string property, string? value, string rule, string field)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/register/activities", Json(With(CustomerAccounts, property, value))), HttpStatusCode.BadRequest);
        problem.GetProperty("ruleId").GetString().ShouldBe(rule);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
        (await App.WithDbAsync(db => db.Activities.CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task REG005_special_category_data_without_an_article_9_condition_is_refused()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/register/activities",
            Json(With(CustomerAccounts, "dataCategories", new[] { "user.health_and_medical" }))), HttpStatusCode.BadRequest);
        problem.GetProperty("ruleId").GetString().ShouldBe("REG005");
        problem.GetProperty("errors").GetProperty("article9Condition")[0].GetString()!.ShouldContain("health");
    }

    [Fact]
    public async Task REG003_a_consent_based_activity_links_a_consent_purpose_of_the_ledger()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var consent = With(With(CustomerAccounts, "lawfulBasis", "consent"), "consentPurpose", "newsletter");
        var refused = await ProblemAsync(await dpo.PostAsync("/api/register/activities", Json(consent)), HttpStatusCode.BadRequest);
        refused.GetProperty("ruleId").GetString().ShouldBe("REG003");
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "newsletter", title = "Newsletter", description = "Monthly news." }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        await CreateAsync(dpo, consent);
    }

    [Fact]
    public async Task REG013_unknown_taxonomy_keys_are_refused_with_suggestions()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/register/activities",
            Json(With(CustomerAccounts, "dataCategories", new[] { "user.contact.emial" }))), HttpStatusCode.BadRequest);
        problem.GetProperty("ruleId").GetString().ShouldBe("REG013");
        problem.GetProperty("errors").GetProperty("dataCategories[0]")[0].GetString()!.ShouldContain("'user.contact.email'");
    }

    [Fact]
    public async Task REG014_a_duplicate_name_is_a_conflict()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await CreateAsync(dpo, CustomerAccounts);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/register/activities", Json(With(CustomerAccounts, "name", "customer ACCOUNTS"))), HttpStatusCode.Conflict);
        problem.GetProperty("ruleId").GetString().ShouldBe("REG014");
        (await App.WithDbAsync(db => db.Activities.CountAsync())).ShouldBe(1);
    }

    [Fact]
    public async Task A_wrong_type_or_unknown_field_names_the_field()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var wrongType = await ProblemAsync(await dpo.PostAsync("/api/register/activities", Json(With(CustomerAccounts, "purposes", "essential.service"))), HttpStatusCode.BadRequest);
        wrongType.GetProperty("errors").TryGetProperty("purposes", out _).ShouldBeTrue();
        var unknown = await ProblemAsync(await dpo.PostAsync("/api/register/activities", Json(With(CustomerAccounts, "lawfullBasis", "contract"))), HttpStatusCode.BadRequest);
        unknown.GetProperty("errors").TryGetProperty("lawfullBasis", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Every_change_is_a_version_with_who_when_and_the_difference()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var id = (await CreateAsync(dpo, CustomerAccounts)).GetProperty("id").GetGuid();
        App.Time.Advance(TimeSpan.FromHours(1));
        var changed = With(With(CustomerAccounts, "retention", new { period = "P7Y", trigger = "account closed" }), "owner", "Customer services");
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/register/activities/{id}") { Content = Json(changed) };
        request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        var updated = await dpo.SendAsync(request);
        updated.StatusCode.ShouldBe(HttpStatusCode.OK, await updated.Content.ReadAsStringAsync());
        updated.Headers.ETag!.Tag.ShouldBe("\"2\"");

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/register/activities/{id}") { Content = Json(CustomerAccounts) };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        (await ProblemAsync(await dpo.SendAsync(stale), HttpStatusCode.Conflict)).GetProperty("errors").TryGetProperty("version", out _).ShouldBeTrue();

        var versions = await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{id}/versions");
        versions.GetArrayLength().ShouldBe(2);
        versions[0].GetProperty("change").GetString().ShouldBe("updated");
        versions[0].GetProperty("changedBy").GetString()!.ShouldStartWith("token:");
        var diff = await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{id}/versions/1/diff/2");
        diff.EnumerateArray().Select(c => c.GetProperty("field").GetString()).Order().ShouldBe(["owner", "retention.period"]);
        diff.EnumerateArray().Single(c => c.GetProperty("field").GetString() == "retention.period").GetProperty("before").GetString().ShouldBe("P6Y");

        var same = await dpo.PutAsync($"/api/register/activities/{id}", Json(changed));
        (await same.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32().ShouldBe(2, "an identical save is not a new version");
    }

    [Fact]
    public async Task Only_the_dpo_signs_off_reviews_and_overdue_activities_are_listed()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var id = (await CreateAsync(dpo, CustomerAccounts)).GetProperty("id").GetGuid();
        await CreateAsync(dpo, With(CustomerAccounts, "name", "Newsletter drafts") is var draft ? With(draft, "status", "draft") : draft);

        App.Time.Advance(TimeSpan.FromDays(200));
        var overdue = await dpo.GetFromJsonAsync<JsonElement>("/api/register/activities?overdue=true");
        overdue.EnumerateArray().Select(a => a.GetProperty("name").GetString()).ShouldBe(["Customer accounts"]);
        var check = await dpo.GetFromJsonAsync<JsonElement>("/api/register/check");
        check.GetProperty("violations").EnumerateArray().Select(v => v.GetProperty("ruleId").GetString()).ShouldContain("REG018");

        (await admin.PostAsJsonAsync($"/api/register/activities/{id}/reviews", new { notes = "fine" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var reviewed = await dpo.PostAsJsonAsync($"/api/register/activities/{id}/reviews", new { notes = "Checked retention against the schedule." });
        reviewed.StatusCode.ShouldBe(HttpStatusCode.OK, await reviewed.Content.ReadAsStringAsync());
        (await dpo.GetFromJsonAsync<JsonElement>("/api/register/activities?overdue=true")).GetArrayLength().ShouldBe(0);
        var reviews = await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{id}/reviews");
        reviews[0].GetProperty("notes").GetString().ShouldBe("Checked retention against the schedule.");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "register.activity_reviewed"))).ShouldBe(1);
    }

    [Fact]
    public async Task REG019_the_default_policy_forbids_selling_application_form_data()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await CreateAsync(dpo, With(With(CustomerAccounts, "name", "Data brokerage"), "purposes", new[] { "third_party_sharing.sale" }));
        var check = await dpo.GetFromJsonAsync<JsonElement>("/api/register/check");
        check.GetProperty("errors").GetInt32().ShouldBe(1);
        var violation = check.GetProperty("violations")[0];
        violation.GetProperty("ruleId").GetString().ShouldBe("REG019");
        violation.GetProperty("activity").GetString().ShouldBe("Data brokerage");
    }

    [Fact]
    public async Task Organisations_add_their_own_prohibitions_and_taxonomy_keys()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var term = await dpo.PostAsJsonAsync("/api/taxonomy/dataCategories", new { key = "user.health_and_medical.allergies", name = "Allergies", parent = "user.health_and_medical" });
        term.StatusCode.ShouldBe(HttpStatusCode.Created, await term.Content.ReadAsStringAsync());
        var terms = await dpo.GetFromJsonAsync<JsonElement>("/api/taxonomy/dataCategories");
        var allergies = terms.EnumerateArray().Single(t => t.GetProperty("key").GetString() == "user.health_and_medical.allergies");
        allergies.GetProperty("custom").GetBoolean().ShouldBeTrue();
        allergies.GetProperty("specialCategories")[0].GetString().ShouldBe("health");
        (await ProblemAsync(await dpo.PostAsJsonAsync("/api/taxonomy/dataCategories", new { key = "user.pets.name", name = "Pet", parent = "user.pets" }), HttpStatusCode.BadRequest))
            .GetProperty("errors").TryGetProperty("parent", out _).ShouldBeTrue();
        (await dpo.GetAsync("/api/taxonomy/colours")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "allergy-offers", title = "Offers for your diet", description = "Offers that suit your allergies.", @explicit = true }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var rule = await dpo.PostAsJsonAsync("/api/register/policies", new { key = "no-allergy-marketing", name = "Allergy data is never used for marketing", dataCategories = new[] { "user.health_and_medical.allergies" }, dataUses = new[] { "marketing" } });
        rule.StatusCode.ShouldBe(HttpStatusCode.Created, await rule.Content.ReadAsStringAsync());
        await CreateAsync(dpo, With(With(With(With(CustomerAccounts, "name", "Allergy offers"), "purposes", new[] { "marketing.communications.email" }),
            "dataCategories", new[] { "user.health_and_medical.allergies" }), "article9Condition", "explicitConsent") is var json
            ? With(With(json, "lawfulBasis", "consent"), "consentPurpose", "allergy-offers") : json);
        var check = await dpo.GetFromJsonAsync<JsonElement>("/api/register/check");
        check.GetProperty("violations").EnumerateArray().ShouldContain(v => v.GetProperty("message").GetString()!.Contains("no-allergy-marketing"));
    }

    [Fact]
    public async Task Only_drafts_can_be_deleted()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var active = (await CreateAsync(dpo, CustomerAccounts)).GetProperty("id").GetGuid();
        await ProblemAsync(await dpo.DeleteAsync($"/api/register/activities/{active}"), HttpStatusCode.Conflict);
        var draft = (await CreateAsync(dpo, With(With(CustomerAccounts, "name", "Idea"), "status", "draft"))).GetProperty("id").GetGuid();
        (await dpo.DeleteAsync($"/api/register/activities/{draft}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await dpo.GetAsync($"/api/register/activities/{draft}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{draft}/versions"))[0].GetProperty("change").GetString().ShouldBe("deleted");
    }

    [Fact]
    public async Task The_organisation_record_is_kept_and_its_jurisdiction_drives_the_rules()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var saved = await dpo.PutAsJsonAsync("/api/register/organisation", new
        {
            name = "Example Ltd",
            address = "1 High Street, London",
            email = "privacy@example.org",
            dpo = new { name = "Dana Protection", email = "dpo@example.org" },
            jurisdictions = new[] { "EU" },
        });
        saved.StatusCode.ShouldBe(HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());
        (await dpo.GetFromJsonAsync<JsonElement>("/api/register/organisation")).GetProperty("dpo").GetProperty("email").GetString().ShouldBe("dpo@example.org");
        // An EU-only controller needs no Schedule 1 condition for health data under 9(2)(h).
        await CreateAsync(dpo, With(With(CustomerAccounts, "dataCategories", new[] { "user.health_and_medical" }), "article9Condition", "healthOrSocialCare"));
        (await ProblemAsync(await dpo.PutAsJsonAsync("/api/register/organisation", new { name = "X", jurisdictions = new[] { "Mars" } }), HttpStatusCode.BadRequest))
            .GetProperty("errors").TryGetProperty("jurisdictions", out _).ShouldBeTrue();
    }
}
