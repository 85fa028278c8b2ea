using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Pseudonymisation;
using Dataward.Tests.Platform;
using Dataward.Tests.Sharing;
using Microsoft.EntityFrameworkCore;
using static Dataward.Tests.Sharing.SharingScenario;

namespace Dataward.Tests.Pseudonymisation;

public sealed class PseudonymisationApiTests_Sqlite() : PseudonymisationApiTests(StorageProvider.Sqlite);

public sealed class PseudonymisationApiTests_Postgres() : PseudonymisationApiTests(StorageProvider.Postgres);

/// <summary>The pseudonymisation toolkit through its API and the <c>keys</c> verbs, on both databases.</summary>
public abstract class PseudonymisationApiTests(StorageProvider provider) : AppTest(provider)
{
    private async Task<HttpClient> KeyManagerAsync(string domain = "analytics.churn")
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var created = await dpo.PostAsync("/api/pseudonymisation/keys", Json(new { domain, purpose = "Churn analysis by the data team" }));
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return dpo;
    }

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement;
    }

    private static async Task<string> PseudonymAsync(HttpClient client, object body) =>
        (await OkAsync(await client.PostAsync("/api/pseudonymisation/pseudonyms", Json(body)))).GetProperty("pseudonyms")[0].GetString()!;

    [Fact]
    public async Task Rotation_makes_a_new_version_old_pseudonyms_verify_until_their_key_is_destroyed_then_fail_explicitly_MIN011()
    {
        var dpo = await KeyManagerAsync();
        var v1 = await PseudonymAsync(dpo, new { domain = "analytics.churn", values = new[] { "Ann@Example.org" }, kind = "email" });
        v1.ShouldStartWith("pd:analytics.churn:1:");
        (await PseudonymAsync(dpo, new { domain = "analytics.churn", values = new[] { " ann@example.org" }, kind = "email" })).ShouldBe(v1);

        var rotated = await OkAsync(await dpo.PostAsync("/api/pseudonymisation/keys/analytics.churn/rotate", null));
        rotated.GetProperty("activeVersion").GetInt32().ShouldBe(2);
        rotated.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("status").GetString()).ShouldBe(["retained", "active"]);
        rotated.ToString().ShouldNotContain("v1.", Case.Sensitive);
        var v2 = await PseudonymAsync(dpo, new { domain = "analytics.churn", values = new[] { "ann@example.org" }, kind = "email" });
        v2.ShouldStartWith("pd:analytics.churn:2:");
        v2.ShouldNotBe(v1);
        (await PseudonymAsync(dpo, new { domain = "analytics.churn", version = 1, values = new[] { "ann@example.org" }, kind = "email" })).ShouldBe(v1);
        (await OkAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms/match", Json(new { pseudonym = v1, value = "ANN@example.org", kind = "email" }))))
            .GetProperty("matches").GetBoolean().ShouldBeTrue();

        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms", Json(new { domain = "analytics.churn", version = 7, values = new[] { "x" } })),
            HttpStatusCode.BadRequest, "MIN011");
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/keys/analytics.churn/versions/2/destroy", Json(new { reason = "test" })), HttpStatusCode.Conflict);
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/keys/analytics.churn/versions/1/destroy", Json(new { })), HttpStatusCode.BadRequest);
        var destroyed = await OkAsync(await dpo.PostAsync("/api/pseudonymisation/keys/analytics.churn/versions/1/destroy",
            Json(new { reason = "The 2026 churn study is closed and its data erased." })));
        destroyed.GetProperty("versions")[0].GetProperty("status").GetString().ShouldBe("destroyed");

        var problem = await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms/match", Json(new { pseudonym = v1, value = "ann@example.org", kind = "email" })),
            HttpStatusCode.Conflict, "MIN011");
        problem.GetProperty("detail").GetString()!.ShouldContain("destroyed");
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms", Json(new { domain = "analytics.churn", version = 1, values = new[] { "x" } })),
            HttpStatusCode.Conflict, "MIN011");
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms/match", Json(new { pseudonym = "ann@example.org", value = "x" })),
            HttpStatusCode.BadRequest, "MIN011");
        var key = await App.WithDbAsync(db => db.Set<PseudonymKey>().SingleAsync(k => k.Domain == "analytics.churn" && k.Version == 1));
        key.KeyEncrypted.ShouldBeNull();
        (await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == "pseudonym-domain:analytics.churn").OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync()))
            .ShouldBe(["pseudonymisation.key_created", "pseudonymisation.pseudonyms_computed", "pseudonymisation.pseudonyms_computed",
                "pseudonymisation.key_rotated", "pseudonymisation.pseudonyms_computed", "pseudonymisation.pseudonyms_computed",
                "pseudonymisation.pseudonym_matched", "pseudonymisation.key_destroyed"]);
    }

    [Fact]
    public async Task Two_domains_never_share_a_pseudonym_and_unkeyed_hashes_are_refused_MIN009_MIN010()
    {
        var dpo = await KeyManagerAsync();
        (await dpo.PostAsync("/api/pseudonymisation/keys", Json(new { domain = "marketing.reach", purpose = "Campaign reach counts" }))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var values = Enumerable.Range(0, 50).Select(i => $"person{i}@example.org").ToArray();
        var a = (await OkAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms", Json(new { domain = "analytics.churn", values }))))
            .GetProperty("pseudonyms").EnumerateArray().Select(p => p.GetString()![^43..]).ToList();
        var b = (await OkAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms", Json(new { domain = "marketing.reach", values }))))
            .GetProperty("pseudonyms").EnumerateArray().Select(p => p.GetString()![^43..]).ToList();
        a.Intersect(b).ShouldBeEmpty();

        var problem = await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms", Json(new { domain = "analytics.churn", values, method = "sha256" })),
            HttpStatusCode.BadRequest, "MIN009");
        problem.GetProperty("detail").GetString()!.ShouldContain("unkeyed");
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/keys", Json(new { domain = "analytics.churn", purpose = "again" })), HttpStatusCode.Conflict);
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/keys", Json(new { domain = "Bad Domain!", purpose = "x" })), HttpStatusCode.BadRequest);
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/keys", Json(new { domain = "no.purpose" })), HttpStatusCode.BadRequest, "MIN010");
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/pseudonyms", Json(new { domain = "unknown.domain", values })), HttpStatusCode.NotFound);
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsync("/api/pseudonymisation/pseudonyms", Json(new { domain = "analytics.churn", values }))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await staff.PostAsync("/api/pseudonymisation/keys/analytics.churn/rotate", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Detokenising_needs_the_DPO_and_a_reason_and_each_one_is_audited_with_who_when_domain_and_reason_MIN013()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var tokens = (await OkAsync(await staff.PostAsync("/api/pseudonymisation/tokens", Json(new { domain = "support.callbacks", values = new[] { "07700 900123", "07700 900123" } }))))
            .GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        tokens[0].ShouldStartWith("tk:support.callbacks:");
        tokens[1].ShouldNotBe(tokens[0], "a token per occurrence: fully randomised");
        var stored = await App.WithDbAsync(db => db.Set<VaultEntry>().Select(v => v.ValueEncrypted).ToListAsync());
        stored.ShouldAllBe(v => !v.Contains("07700"));

        var body = Json(new { token = tokens[0], reason = "Call back about complaint CMP-12" });
        foreach (var role in new[] { StaffRoles.Staff, StaffRoles.Administrator, StaffRoles.Auditor })
        {
            (await (await App.ClientWithRoleAsync(role)).PostAsync("/api/pseudonymisation/tokens/detokenise", Json(new { token = tokens[0], reason = "x" })))
                .StatusCode.ShouldBe(HttpStatusCode.Forbidden, role);
        }
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/tokens/detokenise", Json(new { token = tokens[0] })), HttpStatusCode.BadRequest, "MIN013");
        await ProblemAsync(await dpo.PostAsync("/api/pseudonymisation/tokens/detokenise", Json(new { token = "tk:support.callbacks:nope", reason = "x" })), HttpStatusCode.NotFound);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "vault.detokenised"))).ShouldBe(0);

        var value = await OkAsync(await dpo.PostAsync("/api/pseudonymisation/tokens/detokenise", body));
        value.GetProperty("value").GetString().ShouldBe("07700 900123");
        value.GetProperty("domain").GetString().ShouldBe("support.callbacks");
        var me = (await dpo.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("actor").GetString();
        var entry = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "vault.detokenised"));
        entry.Actor.ShouldBe(me);
        entry.Time.ShouldBe(App.Time.GetUtcNow());
        entry.Target.ShouldBe("vault:support.callbacks");
        entry.Details.ShouldContain("\"domain\":\"support.callbacks\"");
        entry.Details.ShouldContain("Call back about complaint CMP-12");
        entry.Details.ShouldNotContain("07700");
        App.Logs.Lines.ShouldAllBe(l => !l.Contains("07700 900123"));
    }

    [Fact]
    public async Task The_k_anonymity_report_over_a_connected_table_gives_counts_and_never_the_values_of_small_groups_MIN015()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        await using var crm = await CrmDatabase.CreateAsync(Provider);
        await crm.ConnectAsync(dpo);
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);

        var raw = await OkAsync(await auditor.PostAsync("/api/pseudonymisation/k-anonymity", Json(new { collection = "crm:users", quasiIdentifiers = new[] { "country", "postcode" } })));
        raw.GetProperty("source").GetString().ShouldBe("crm:users");
        var report = raw.GetProperty("report");
        report.GetProperty("targetK").GetInt32().ShouldBe(5);
        report.GetProperty("records").GetInt64().ShouldBe(12);
        report.GetProperty("smallestGroup").GetInt64().ShouldBe(1);
        report.GetProperty("groupsBelowK").GetInt64().ShouldBe(12, "raw postcodes are all different");
        report.GetProperty("smallGroups").GetArrayLength().ShouldBe(12);
        foreach (var person in CrmDatabase.People)
        {
            raw.ToString().ShouldNotContain(person.Postcode);
        }
        raw.ToString().ShouldNotContain("\"IE\"", Case.Sensitive);

        var general = await OkAsync(await auditor.PostAsync("/api/pseudonymisation/k-anonymity",
            Json(new { collection = "crm:users", quasiIdentifiers = new[] { "birth_date", "postcode" }, k = 4, generalise = true })));
        general.GetProperty("generalised").GetBoolean().ShouldBeTrue();
        general.GetProperty("report").GetProperty("groups").GetInt64().ShouldBe(4, "1984/SW1A, 1984/none, 1990/M1, 1990/EC1A");
        general.GetProperty("report").GetProperty("groupsBelowK").GetInt64().ShouldBe(2);
        general.GetProperty("report").GetProperty("recordsBelowK").GetInt64().ShouldBe(2);
        general.ToString().ShouldNotContain("EC1A");
        general.ToString().ShouldNotContain("SW1A");

        await ProblemAsync(await auditor.PostAsync("/api/pseudonymisation/k-anonymity", Json(new { collection = "crm:users", quasiIdentifiers = new[] { "shoe_size" } })),
            HttpStatusCode.BadRequest);
        await ProblemAsync(await auditor.PostAsync("/api/pseudonymisation/k-anonymity", Json(new { collection = "crm:users", quasiIdentifiers = new[] { "country" }, k = 1 })),
            HttpStatusCode.BadRequest);
        await ProblemAsync(await auditor.PostAsync("/api/pseudonymisation/k-anonymity", Json(new { collection = "shop:users", quasiIdentifiers = new[] { "country" } })),
            HttpStatusCode.Conflict);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "pseudonymisation.k_anonymity_reported"))).ShouldBe(2);
    }

    [Fact]
    public async Task Keys_rotate_and_destroy_from_the_command_line()
    {
        await KeyManagerAsync();
        var rotate = await DatawardProcess.RunAsync(App.Database.Environment, null, "keys", "rotate", "analytics.churn");
        rotate.ExitCode.ShouldBe(0, rotate.Stderr);
        rotate.Stdout.ShouldContain("version 2");
        var destroy = await DatawardProcess.RunAsync(App.Database.Environment, null, "keys", "destroy", "analytics.churn", "1", "--reason", "Study closed");
        destroy.ExitCode.ShouldBe(0, destroy.Stderr);
        var list = await DatawardProcess.RunAsync(App.Database.Environment, null, "keys", "list");
        list.Stdout.ShouldContain("v1 destroyed");
        list.Stdout.ShouldContain("v2 active");
        var missing = await DatawardProcess.RunAsync(App.Database.Environment, null, "keys", "rotate", "no.such");
        missing.ExitCode.ShouldBe(2);
        missing.Stderr.ShouldContain("domain");
        (await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "pseudonymisation.key_rotated").Select(e => e.Actor).SingleAsync())).ShouldBe("cli");
    }
}
