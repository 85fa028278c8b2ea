using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using static Dataward.Tests.Sharing.SharingScenario;

namespace Dataward.Tests.Sharing;

public sealed class SharingApiTests_Sqlite() : SharingApiTests(StorageProvider.Sqlite);

public sealed class SharingApiTests_Postgres() : SharingApiTests(StorageProvider.Postgres);

/// <summary>Minimised sharing through the API (MIN018-MIN023, with MIN010-MIN012, MIN014 and MIN016 as extracts show
/// them), against a connected CRM on the same provider.</summary>
public abstract class SharingApiTests(StorageProvider provider) : AppTest(provider)
{
    private static readonly object IssueFields = new { email = "pseudonymise", country = "asIs", birth_date = "generalise" };

    private static async Task<string> ExportAsync(HttpClient client, string reference, object body)
    {
        var response = await client.PostAsync($"/api/sharing/{reference}/exports", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return text;
    }

    [Fact]
    public async Task A_new_agreement_is_a_draft_with_no_fields_and_exports_nothing_until_set_MIN023()
    {
        await using var s = await StartAsync(App);
        var created = await s.PostAsync("/api/sharing/agreements", """{"recipient":"acme analytics","activity":"Partner analytics","collection":"crm:users"}""");
        created.GetProperty("reference").GetString().ShouldBe("DSA-2026-0001");
        created.GetProperty("status").GetString().ShouldBe("draft");
        created.GetProperty("fields").EnumerateObject().ShouldBeEmpty();
        created.GetProperty("involvesSale").GetBoolean().ShouldBeFalse();
        created.GetProperty("k").GetInt32().ShouldBe(5);
        created.GetProperty("exportBlockers").EnumerateArray().Select(b => b.GetProperty("ruleId").GetString()).ShouldContain("MIN023");

        await ProblemAsync(await s.Dpo.PostAsync("/api/sharing/DSA-2026-0001/exports", Json(new { })), HttpStatusCode.Conflict, "MIN023");
        var activate = await s.Dpo.PutAsync("/api/sharing/agreements/DSA-2026-0001", Json(new
        {
            recipient = Recipient,
            activity = Activity,
            collection = "crm:users",
            status = "active",
        }));
        var problem = await ProblemAsync(activate, HttpStatusCode.BadRequest, "MIN023");
        problem.GetProperty("errors").TryGetProperty("fields", out _).ShouldBeTrue();
        problem.GetProperty("errors").TryGetProperty("reviewDue", out _).ShouldBeTrue();
        (await App.WithDbAsync(db => db.Set<Dataward.Sharing.ExportRecord>().CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task An_export_holds_only_the_agreed_fields_each_treated_as_agreed_MIN018_MIN014()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(new
        {
            email = "pseudonymise",
            country = "asIs",
            birth_date = "generalise",
            postcode = "generalise",
            age = "generalise",
            notes = "generalise",
            created = "generalise",
        }, new { k = 2 });
        var rows = Csv(await ExportAsync(s.Dpo, reference, new { format = "csv" }));
        rows[0].ShouldBe(["email", "country", "birth_date", "postcode", "age", "notes", "created"]);
        rows.Count.ShouldBe(13);
        var ann = rows[1];
        ann[0].ShouldStartWith($"pd:sharing.{reference.ToLowerInvariant()}:1:");
        ann[1].ShouldBe("GB");
        ann[2].ShouldBe("1984");
        ann[3].ShouldBe("SW1A");
        ann[4].ShouldBe("40-44");
        ann[5].ShouldBe("", "free text is always removed");
        ann[6].ShouldBe("2021-07");
        rows[2][3].ShouldBe("SW1A", "sw1a2aa is the same outward code");
        rows[7][3].ShouldBe("", "an invalid postcode is suppressed, never passed through");
        rows[10][3].ShouldBe("M1");
        rows[12][3].ShouldBe("EC", "an outward code shared by fewer than k records widens to its area");
        rows[12][4].ShouldBe("90+");
        var text = string.Join("\n", rows.Select(r => string.Join(",", r)));
        foreach (var person in CrmDatabase.People)
        {
            text.ShouldNotContain(person.Email, Case.Insensitive);
            text.ShouldNotContain(person.Name);
        }
        text.ShouldNotContain("Calls about her cat");

        // The pseudonym is the keyed HMAC of the normalised e-mail: a key manager recomputes it from the lower-cased address.
        var recomputed = await s.PostAsync("/api/pseudonymisation/pseudonyms",
            JsonSerializer.Serialize(new { domain = $"sharing.{reference.ToLowerInvariant()}", values = new[] { "ann@example.org" }, kind = "email" }), HttpStatusCode.OK);
        recomputed.GetProperty("pseudonyms")[0].GetString().ShouldBe(ann[0]);
    }

    [Fact]
    public async Task A_field_outside_the_agreement_is_refused_naming_the_agreement_and_nothing_is_exported_MIN018()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(IssueFields);
        var refused = await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { fields = new[] { "email", "name" }, format = "csv" }));
        var problem = await ProblemAsync(refused, HttpStatusCode.BadRequest, "MIN018");
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain(reference);
        detail.ShouldContain("'name'");
        (await App.WithDbAsync(db => db.Set<Dataward.Sharing.ExportRecord>().CountAsync())).ShouldBe(0);
        var refusal = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "sharing.export_refused"));
        refusal.Target.ShouldBe($"agreement:{reference}");
        refusal.Details.ShouldContain("MIN018");

        // A field the agreement has, in the order asked: only that field leaves.
        var rows = Csv(await ExportAsync(s.Dpo, reference, new { fields = new[] { "country" } }));
        rows[0].ShouldBe(["country"]);
        rows.Skip(1).Select(r => r.Single()).Distinct().Order().ShouldBe(["GB", "IE"]);
    }

    [Fact]
    public async Task Exports_are_refused_unless_the_agreement_is_active_and_reviewed_and_a_processor_has_its_contract_MIN019()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(IssueFields);
        await ExportAsync(s.Dpo, reference, new { });

        var suspend = await s.Dpo.PutAsync($"/api/sharing/agreements/{reference}", Json(new
        {
            recipient = Recipient,
            activity = Activity,
            collection = "crm:users",
            fields = IssueFields,
            status = "suspended",
            reviewDue = "2027-03-31",
        }));
        suspend.StatusCode.ShouldBe(HttpStatusCode.OK, await suspend.Content.ReadAsStringAsync());
        var problem = await ProblemAsync(await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { })), HttpStatusCode.Conflict, "MIN019");
        problem.GetProperty("detail").GetString()!.ShouldContain("suspended");

        (await s.Dpo.PutAsync($"/api/sharing/agreements/{reference}", Json(new
        {
            recipient = Recipient,
            activity = Activity,
            collection = "crm:users",
            fields = IssueFields,
            status = "active",
            reviewDue = "2027-03-31",
        }))).StatusCode.ShouldBe(HttpStatusCode.OK);
        App.Time.SetUtcNow(new DateTimeOffset(2027, 3, 31, 23, 0, 0, TimeSpan.Zero));
        (await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { }))).StatusCode.ShouldBe(HttpStatusCode.OK, "due today is not yet overdue");
        App.Time.SetUtcNow(new DateTimeOffset(2027, 4, 1, 0, 0, 1, TimeSpan.Zero));
        problem = await ProblemAsync(await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { })), HttpStatusCode.Conflict, "MIN019");
        problem.GetProperty("detail").GetString()!.ShouldContain("2027-03-31");
        (await s.Dpo.PutAsync($"/api/sharing/agreements/{reference}", Json(new
        {
            recipient = Recipient,
            activity = Activity,
            collection = "crm:users",
            fields = IssueFields,
            status = "active",
            reviewDue = "2028-03-31",
        }))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var noContract = await s.Dpo.PutAsync($"/api/recipients/{s.RecipientId}", Json(RecipientBody(contract: false)));
        noContract.StatusCode.ShouldBe(HttpStatusCode.OK, await noContract.Content.ReadAsStringAsync());
        problem = await ProblemAsync(await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { })), HttpStatusCode.Conflict, "MIN019");
        problem.GetProperty("detail").GetString()!.ShouldContain("Art. 28 contract");
        (await App.WithDbAsync(db => db.Set<Dataward.Sharing.ExportRecord>().CountAsync())).ShouldBe(2);
    }

    [Fact]
    public async Task A_sale_may_not_include_data_collected_via_the_account_application_form_MIN020()
    {
        await using var s = await StartAsync(App);
        await s.PostAsync("/api/register/activities", ActivityJson("Customer accounts", [], ["account-application-form"], ["user.contact.email", "user.name"]));
        var body = new { recipient = Recipient, activity = Activity, collection = "crm:users", fields = IssueFields, involvesSale = true };
        var refused = await s.Dpo.PostAsync("/api/sharing/agreements", Json(body));
        var problem = await ProblemAsync(refused, HttpStatusCode.BadRequest, "MIN020");
        problem.GetProperty("errors").TryGetProperty("fields.email", out _).ShouldBeTrue(problem.ToString());
        problem.GetProperty("errors").TryGetProperty("fields.country", out _).ShouldBeFalse("the application form does not collect the country here");

        var reference = await s.ActiveAgreementAsync(new { country = "asIs" }, new { involvesSale = true });
        await ExportAsync(s.Dpo, reference, new { });

        // The register changes: the application form now collects the country. The next export is refused.
        var accounts = (await s.Dpo.GetFromJsonAsync<JsonElement>("/api/register/activities")).EnumerateArray().Single(a => a.GetProperty("name").GetString() == "Customer accounts");
        var changed = await s.Dpo.PutAsync($"/api/register/activities/{accounts.GetProperty("id").GetGuid()}",
            Json(ActivityJson("Customer accounts", [], ["account-application-form"], ["user.contact.email", "user.name", "user.contact.address.country"])));
        changed.StatusCode.ShouldBe(HttpStatusCode.OK, await changed.Content.ReadAsStringAsync());
        await ProblemAsync(await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { })), HttpStatusCode.Conflict, "MIN020");
    }

    [Fact]
    public async Task A_recipient_in_a_country_without_adequacy_needs_a_safeguard_and_an_Art46_mechanism_a_TRA_MIN021()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(IssueFields);
        async Task<HttpResponseMessage> With(object recipient)
        {
            var saved = await s.Dpo.PutAsync($"/api/recipients/{s.RecipientId}", Json(recipient));
            saved.StatusCode.ShouldBe(HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());
            return await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { }));
        }

        var problem = await ProblemAsync(await With(RecipientBody(countries: ["GB", "IN"])), HttpStatusCode.Conflict, "MIN021");
        problem.GetProperty("detail").GetString()!.ShouldContain("IN");
        await ProblemAsync(await With(RecipientBody(countries: ["IN"], safeguard: "adequacy")), HttpStatusCode.Conflict, "MIN021");
        problem = await ProblemAsync(await With(RecipientBody(countries: ["IN"], safeguard: "sccs")), HttpStatusCode.Conflict, "MIN021");
        problem.GetProperty("detail").GetString()!.ShouldContain("transfer risk assessment");
        (await With(RecipientBody(countries: ["IN"], safeguard: "sccs", tra: "TRA-2026-07"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await With(RecipientBody(countries: ["IN"], safeguard: "derogation"))).StatusCode.ShouldBe(HttpStatusCode.OK, "a derogation needs no TRA");
        (await With(RecipientBody(countries: ["IE", "JP"]))).StatusCode.ShouldBe(HttpStatusCode.OK, "the EEA and adequate countries need no safeguard");
        await ProblemAsync(await With(RecipientBody(countries: [])), HttpStatusCode.Conflict, "MIN021");
    }

    [Fact]
    public async Task Every_export_is_logged_with_actor_time_agreement_records_fields_and_the_files_SHA256_MIN022()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(IssueFields);
        var response = await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { fields = new[] { "country", "email" }, format = "json" }));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        response.Headers.GetValues("Content-Digest").Single().ShouldBe($"sha-256=:{Convert.ToBase64String(SHA256.HashData(bytes))}:");

        var me = await s.Dpo.GetFromJsonAsync<JsonElement>("/api/me");
        var staff = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        var log = await staff.GetFromJsonAsync<JsonElement>("/api/sharing/exports");
        var entry = log.EnumerateArray().Single();
        entry.GetProperty("agreement").GetString().ShouldBe(reference);
        entry.GetProperty("recipient").GetString().ShouldBe(Recipient);
        entry.GetProperty("actor").GetString().ShouldBe(me.GetProperty("actor").GetString());
        entry.GetProperty("finishedAt").GetDateTimeOffset().ShouldBe(App.Time.GetUtcNow());
        entry.GetProperty("records").GetInt64().ShouldBe(12);
        entry.GetProperty("fields").EnumerateArray().Select(f => $"{f.GetProperty("field").GetString()}:{f.GetProperty("treatment").GetString()}")
            .ShouldBe(["country:asIs", "email:pseudonymise"]);
        entry.GetProperty("sha256").GetString().ShouldBe(sha);
        entry.GetProperty("bytes").GetInt64().ShouldBe(bytes.Length);
        entry.GetProperty("keyVersion").GetInt32().ShouldBe(1);
        (await staff.GetFromJsonAsync<JsonElement>($"/api/sharing/{reference}/exports")).GetArrayLength().ShouldBe(1);

        var audit = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "sharing.exported"));
        audit.Target.ShouldBe($"agreement:{reference}");
        audit.Details.ShouldContain(sha);
        audit.Details.ShouldNotContain("example.org");
        (await staff.PostAsync($"/api/sharing/{reference}/exports", Json(new { }))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var document = JsonDocument.Parse(bytes).RootElement;
        document.GetProperty("agreement").GetString().ShouldBe(reference);
        document.GetProperty("recordCount").GetInt64().ShouldBe(12);
        document.GetProperty("label").GetString().ShouldBe("pseudonymised");
        document.GetProperty("records")[0].EnumerateObject().Select(p => p.Name).ShouldBe(["country", "email"]);
    }

    [Fact]
    public async Task Only_an_extract_that_passed_k_anonymity_without_identifiers_is_labelled_anonymised_MIN016()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(new { birth_date = "generalise", country = "asIs", age = "generalise", email = "pseudonymise" },
            new { quasiIdentifiers = new[] { "birth_date", "country" }, k = 5 });
        async Task<JsonElement> Export(params string[] fields) => JsonDocument.Parse(await ExportAsync(s.Dpo, reference, new { fields, format = "json" })).RootElement;

        var year = await Export("birth_date", "age");
        year.GetProperty("label").GetString().ShouldBe("anonymised");
        year.GetProperty("kAnonymity").GetProperty("smallestGroup").GetInt64().ShouldBe(5);

        var withCountry = await Export("birth_date", "country");
        withCountry.GetProperty("label").GetString().ShouldBe("pseudonymised", "the one person from IE born in 1984 is a group of one");
        var report = withCountry.GetProperty("kAnonymity");
        report.GetProperty("groupsBelowK").GetInt64().ShouldBe(1);
        report.GetProperty("recordsBelowK").GetInt64().ShouldBe(1);
        report.ToString().ShouldNotContain("\"IE\"", Case.Sensitive);

        (await Export("birth_date", "email")).GetProperty("label").GetString().ShouldBe("pseudonymised", "a pseudonym still links records");
        (await Export("age")).GetProperty("label").GetString().ShouldBe("pseudonymised", "no declared quasi-identifier was checked");

        var check = await s.PostAsync($"/api/sharing/{reference}/k-anonymity", """{"fields":["birth_date","country"]}""", HttpStatusCode.OK);
        check.GetProperty("report").GetProperty("smallestGroup").GetInt64().ShouldBe(1);
        check.GetProperty("report").GetProperty("passes").GetBoolean().ShouldBeFalse();
        check.ToString().ShouldNotContain("\"IE\"", Case.Sensitive);
    }

    [Fact]
    public async Task Each_agreement_pseudonymises_under_its_own_key_domain_and_a_rotation_shows_in_the_version_MIN010_MIN011()
    {
        await using var s = await StartAsync(App);
        var first = await s.ActiveAgreementAsync(new { email = "pseudonymise" });
        var second = await s.ActiveAgreementAsync(new { email = "pseudonymise" });
        var a = Csv(await ExportAsync(s.Dpo, first, new { }));
        var b = Csv(await ExportAsync(s.Dpo, second, new { }));
        a[1][0].ShouldNotBe(b[1][0]);
        a.Skip(1).Select(r => r[0]).Intersect(b.Skip(1).Select(r => r[0])).ShouldBeEmpty();
        Csv(await ExportAsync(s.Dpo, first, new { }))[1][0].ShouldBe(a[1][0], "deterministic within the domain");

        (await s.Dpo.PostAsync($"/api/pseudonymisation/keys/sharing.{first.ToLowerInvariant()}/rotate", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var rotated = Csv(await ExportAsync(s.Dpo, first, new { }));
        rotated[1][0].ShouldStartWith($"pd:sharing.{first.ToLowerInvariant()}:2:");
        rotated[1][0].ShouldNotBe(a[1][0]);
        var log = await s.Dpo.GetFromJsonAsync<JsonElement>($"/api/sharing/{first}/exports");
        log.EnumerateArray().Select(e => e.GetProperty("keyVersion").GetInt32()).ShouldBe([2, 1, 1]);
    }

    [Fact]
    public async Task An_export_reads_the_connected_database_without_changing_it_and_carries_no_key_or_vault_material_MIN012()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(IssueFields);
        var before = await s.Crm.DumpAsync();
        var text = await ExportAsync(s.Dpo, reference, new { });
        (await s.Crm.DumpAsync()).ShouldBe(before);
        var keys = await App.WithDbAsync(db => db.Set<Dataward.Pseudonymisation.PseudonymKey>().Where(k => k.Domain == $"sharing.{reference.ToLowerInvariant()}").ToListAsync());
        var key = keys.Single();
        key.KeyEncrypted.ShouldNotBeNull().ShouldStartWith("v1.", customMessage: "wrapped by the key ring");
        text.ShouldNotContain(key.KeyEncrypted!);
        text.ShouldNotContain("v1.");
        text.ShouldNotContain("tk:");
    }

    [Fact]
    public async Task Bad_agreements_are_refused_naming_the_field()
    {
        await using var s = await StartAsync(App);
        async Task Refused(object body, string field, string? ruleId = null)
        {
            var problem = await ProblemAsync(await s.Dpo.PostAsync("/api/sharing/agreements", Json(body)), HttpStatusCode.BadRequest, ruleId);
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.ToString());
        }
        await Refused(new { recipient = "Nobody Ltd", activity = Activity, collection = "crm:users" }, "recipient");
        await Refused(new { recipient = Recipient, activity = "No such activity", collection = "crm:users" }, "activity");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm" }, "collection");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm:orders" }, "collection");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm:users", fields = new { password = "asIs" } }, "fields.password");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm:users", fields = new { email = "encrypt" } }, "fields.email");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm:users", fields = new { email = "sha256" } }, "fields.email", "MIN009");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm:users", fields = new { country = "asIs" }, quasiIdentifiers = new[] { "postcode" } },
            "quasiIdentifiers");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm:users", k = 1 }, "k");
        await Refused(new { recipient = Recipient, activity = Activity, collection = "crm:users", status = "signed" }, "status");

        // The purpose must disclose to this recipient in the register (Art. 30(1)(d)).
        await s.PostAsync("/api/recipients", JsonSerializer.Serialize(RecipientBody(name: "Beta Mailing")));
        await Refused(new { recipient = "Beta Mailing", activity = Activity, collection = "crm:users" }, "activity");

        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsync("/api/sharing/agreements", Json(new { recipient = Recipient, activity = Activity, collection = "crm:users" })))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await App.WithDbAsync(db => db.Set<Dataward.Sharing.AgreementRecord>().CountAsync())).ShouldBe(0);
        await ProblemAsync(await s.Dpo.PostAsync("/api/sharing/DSA-2026-0099/exports", Json(new { })), HttpStatusCode.NotFound);
        await ProblemAsync(await s.Dpo.PostAsync("/api/sharing/DSA-2026-0099/exports", Json(new { format = "xlsx" })), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_database_that_cannot_be_read_fails_the_export_clearly_and_logs_nothing()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(IssueFields);
        await s.Crm.ExecuteAsync("DROP TABLE users");
        var problem = await ProblemAsync(await s.Dpo.PostAsync($"/api/sharing/{reference}/exports", Json(new { })), HttpStatusCode.Conflict);
        problem.GetProperty("detail").GetString()!.ShouldContain("users");
        (await App.WithDbAsync(db => db.Set<Dataward.Sharing.ExportRecord>().CountAsync())).ShouldBe(0);
    }
}
