using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Sharing;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using static Dataward.Tests.Sharing.SharingScenario;

namespace Dataward.Tests.Sharing;

public sealed class RecipientApiTests_Sqlite() : RecipientApiTests(StorageProvider.Sqlite);

public sealed class RecipientApiTests_Postgres() : RecipientApiTests(StorageProvider.Postgres);

/// <summary>The register of recipients and processors, and its link to the register activities that name them.</summary>
public abstract class RecipientApiTests(StorageProvider provider) : AppTest(provider)
{
    [Fact]
    public async Task A_recipient_is_linked_to_the_activities_that_name_it_and_names_no_recipient_answers_to_are_listed()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await using var crm = await CrmDatabase.CreateAsync(Provider);
        await crm.ConnectAsync(dpo);
        var scenario = new SharingScenario(App, dpo, crm);
        await scenario.PostAsync("/api/register/activities", ActivityJson("Partner analytics",
            [new { name = "Acme Analytics", kind = "processor", country = "GB" }, new { name = "Post Office Ltd", kind = "controller" }], ["crm"], ["user.contact.email"]));
        await scenario.PostAsync("/api/register/activities", ActivityJson("Newsletter", [new { name = "  acme analytics", kind = "controller" }], ["crm"], ["user.contact.email"]));

        var created = await scenario.PostAsync("/api/recipients", JsonSerializer.Serialize(RecipientBody(name: "ACME Analytics")));
        created.GetProperty("activities").EnumerateArray().Select(a => $"{a.GetProperty("name").GetString()}:{a.GetProperty("namedAs").GetString()}")
            .Order().ShouldBe(["Newsletter:controller", "Partner analytics:processor"]);
        created.GetProperty("gaps").EnumerateArray().Select(g => g.GetString()).ShouldContain("Activity 'Newsletter' names it as controller, but it is registered as processor.");
        created.GetProperty("reviewOverdue").GetBoolean().ShouldBeFalse();
        created.GetProperty("contact").GetString().ShouldBe("Jo Bloggs, privacy@acme.example");

        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var unregistered = await staff.GetFromJsonAsync<JsonElement>("/api/recipients/unregistered");
        unregistered.EnumerateArray().Select(u => u.GetProperty("name").GetString()).ShouldBe(["Post Office Ltd"]);
        (await staff.GetFromJsonAsync<JsonElement>("/api/recipients")).GetArrayLength().ShouldBe(1);

        var stored = await App.WithDbAsync(db => db.Set<RecipientRecord>().SingleAsync());
        stored.ContactEncrypted.ShouldNotBeNull().ShouldNotContain("Bloggs");
        (await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action.StartsWith("recipients.")).Select(e => e.Details).ToListAsync()))
            .ShouldAllBe(d => !d.Contains("Bloggs"));

        var noContract = await dpo.PutAsync($"/api/recipients/{stored.Id}", Json(RecipientBody(name: "ACME Analytics", contract: false, countries: ["US", "IN"])));
        var view = await noContract.Content.ReadFromJsonAsync<JsonElement>();
        noContract.StatusCode.ShouldBe(HttpStatusCode.OK, view.ToString());
        view.GetProperty("version").GetInt32().ShouldBe(2);
        view.GetProperty("countries").EnumerateArray().Select(c => c.GetString()).ShouldBe(["IN", "US"]);
        var gaps = view.GetProperty("gaps").EnumerateArray().Select(g => g.GetString()!).ToList();
        gaps.ShouldContain(g => g.Contains("MIN019"));
        gaps.ShouldContain(g => g.Contains("MIN021") && g.Contains("IN"));

        App.Time.Advance(TimeSpan.FromDays(800));
        (await staff.GetFromJsonAsync<JsonElement>($"/api/recipients/{stored.Id}")).GetProperty("reviewOverdue").GetBoolean().ShouldBeTrue();
        (await dpo.DeleteAsync($"/api/recipients/{stored.Id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await staff.GetAsync($"/api/recipients/{stored.Id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    public static TheoryData<string, string> BadRecipients() => new()
    {
        { """{"name":"","role":"processor"}""", "name" },
        { """{"name":"Acme","role":"vendor"}""", "role" },
        { """{"name":"Acme","role":"processor","contractInPlace":true}""", "contractDate" },
        { """{"name":"Acme","role":"processor","contractInPlace":true,"contractDate":"2030-01-01"}""", "contractDate" },
        { """{"name":"Acme","role":"processor","countries":["United Kingdom"]}""", "countries[0]" },
        { """{"name":"Acme","role":"processor","transferSafeguard":"handshake"}""", "transferSafeguard" },
        { """{"name":"Acme","role":"processor","art28Clauses":{"z_extra":true}}""", "art28Clauses.z_extra" },
    };

    [Theory]
    [MemberData(nameof(BadRecipients))]
    public async Task Bad_recipients_are_refused_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var problem = await ProblemAsync(await dpo.PostAsync("/api/recipients", Json(body)), HttpStatusCode.BadRequest);
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldContain(field, problem.ToString());
        (await App.WithDbAsync(db => db.Set<RecipientRecord>().CountAsync())).ShouldBe(0);
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsync("/api/recipients", Json("""{"name":"Acme","role":"processor"}"""))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_second_recipient_of_the_same_name_in_any_case_is_a_conflict_and_one_with_agreements_stays()
    {
        await using var s = await StartAsync(App);
        await ProblemAsync(await s.Dpo.PostAsync("/api/recipients", Json(RecipientBody(name: "acme ANALYTICS "))), HttpStatusCode.Conflict);
        await s.ActiveAgreementAsync(new { country = "asIs" });
        await ProblemAsync(await s.Dpo.DeleteAsync($"/api/recipients/{s.RecipientId}"), HttpStatusCode.Conflict);
        (await s.Dpo.GetFromJsonAsync<JsonElement>($"/api/recipients/{s.RecipientId}")).GetProperty("agreements").EnumerateArray()
            .Select(a => a.GetString()).ShouldBe(["DSA-2026-0001"]);
    }
}
