using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Audit;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Requests;
using Dataward.Tests.Connections;
using Dataward.Tests.Connectors;
using Dataward.Tests.Platform;
using Dataward.Tests.Shredding;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Requests;

public sealed class RequestErasureTests_Sqlite() : RequestErasureTests(StorageProvider.Sqlite);

public sealed class RequestErasureTests_Postgres() : RequestErasureTests(StorageProvider.Postgres);

/// <summary>Carrying out requests against the Fides example shop connected through /api/connections: erasure after
/// approval as a durable job with proofs, exemptions and recipients; rectification; restriction; objection.</summary>
public abstract class RequestErasureTests(StorageProvider provider) : AppTest(provider)
{
    private const string Customer1 = "customer-1@example.com";

    private async Task<(HttpClient Staff, Guid Id)> VerifiedRequestAsync(string type, string email = Customer1)
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var response = await staff.PostAsJsonAsync("/api/requests", new { type, identities = new { email }, channel = "email", identityChecked = "Reply from the address on the account" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (staff, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
    }

    private async Task<int> RunPendingAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RequestExecutionService>().RunPendingAsync();
    }

    private async Task<OutboxMessage> ReplyAsync() =>
        (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.response"))).Decrypted(App);

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>The cells ErasureRunner's parity test finds the default policy changes for customer 1 (there with
    /// user.financial exempt; here nothing is, so the card's number, code and name are nulled too).</summary>
    internal static List<string> DefaultPolicyChanges(Dictionary<string, string> before) =>
    [
        .. new[] { 1, 2 }.SelectMany(id => new[] { "city", "house", "state", "street", "zip" }.Select(c => $"address[{id}].{c}: {before[$"address[{id}].{c}"]} -> null")),
        "customer[1].email: customer-1@example.com -> null",
        "customer[1].name: John Customer -> null",
        .. Enumerable.Range(1, 6).Select(i => $"login[{i}].time: {before[$"login[{i}].time"]} -> null"),
        "payment_card[pay_aaa-aaa].ccn: 123456789 -> null",
        "payment_card[pay_aaa-aaa].code: 321 -> null",
        "payment_card[pay_aaa-aaa].name: Example Card 1 -> null",
        "payment_card[pay_aaa-aaa].preferred: " + before["payment_card[pay_aaa-aaa].preferred"] + " -> null",
        "service_request[ser_aaa-aaa].alt_email: customer-1-alt@example.com -> null",
    ];

    [Fact]
    public async Task DSR014_erasure_waits_for_verification_and_the_dpos_approval_and_the_plan_is_shown_first()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var before = await shop.DumpAsync();
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var pending = await Json(await staff.PostAsJsonAsync("/api/requests", new { type = "erasure", identities = new { email = Customer1 } }));
        var pendingId = pending.GetProperty("id").GetGuid();
        var early = await dpo.PostAsync($"/api/requests/{pendingId}/approve", null);
        early.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await early.Content.ReadAsStringAsync()).ShouldContain("DSR014");

        var (_, id) = await VerifiedRequestAsync("erasure");
        var view = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        view.GetProperty("state").GetString().ShouldBe("awaiting_approval");
        var plan = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/erasure-preview");
        plan.GetProperty("problems").GetArrayLength().ShouldBe(0, plan.ToString());
        var customer = plan.GetProperty("collections").EnumerateArray().Single(c => c.GetProperty("collection").GetProperty("collection").GetString() == "customer");
        customer.GetProperty("action").GetString().ShouldBe("mask");
        customer.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("field").GetString()).ShouldBe(["email", "name"], ignoreOrder: true);

        (await staff.PostAsync($"/api/requests/{id}/approve", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        FidesExampleDatabase.Changes(before, await shop.DumpAsync()).ShouldBeEmpty("nothing is erased before approval");
        var approved = await Json(await dpo.PostAsync($"/api/requests/{id}/approve", null));
        approved.GetProperty("state").GetString().ShouldBe("in_progress");
        approved.GetProperty("approvedAt").ValueKind.ShouldNotBe(JsonValueKind.Null);
        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task The_default_policy_erases_customer_1_with_no_set_up_and_answers_with_what_was_done()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var before = await shop.DumpAsync();
        var (staff, id) = await VerifiedRequestAsync("erasure");
        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).EnsureSuccessStatusCode();

        (await RunPendingAsync()).ShouldBe(1);

        FidesExampleDatabase.Changes(before, await shop.DumpAsync()).ShouldBe(DefaultPolicyChanges(before));
        var view = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        view.GetProperty("state").GetString().ShouldBe("completed");
        view.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldContain("collection_erased");
        var reply = await ReplyAsync();
        reply.Body.ShouldContain("What we erased");
        reply.Body.ShouldContain("customer: email, name overwritten in 1 record(s)");
        reply.Body.ShouldContain("visit.email");
        (await RunPendingAsync()).ShouldBe(0, "a completed erasure does not run again");
        App.Logs.Lines.ShouldAllBe(l => !l.Contains(Customer1) && !l.Contains("John Customer"));
    }

    [Fact]
    public async Task DSR015_exempt_categories_are_untouched_and_named_in_the_reply_with_reason_and_retention_end()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var policy = new
        {
            rules = new[] { new { dataCategory = "user", strategy = "auto" } },
            exemptions = new[] { new { dataCategory = "user.financial", reason = "Art. 17(3)(b): accounting records kept under the Companies Act 2006", retentionEnds = "5 April 2032" } },
        };
        (await staff.PutAsJsonAsync("/api/requests/erasure-policy", policy)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var saved = await Json(await dpo.PutAsJsonAsync("/api/requests/erasure-policy", policy));
        saved.GetProperty("isDefault").GetBoolean().ShouldBeFalse();
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.erasure_policy_changed"))).ShouldBe(1);
        var before = await shop.DumpAsync();
        var (_, id) = await VerifiedRequestAsync("erasure");
        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).EnsureSuccessStatusCode();

        (await RunPendingAsync()).ShouldBe(1);

        var changes = FidesExampleDatabase.Changes(before, await shop.DumpAsync());
        changes.ShouldBe(DefaultPolicyChanges(before).Where(c => !c.Contains(".ccn") && !c.Contains(".code") && !c.Contains("payment_card[pay_aaa-aaa].name")));
        var reply = await ReplyAsync();
        reply.Body.ShouldContain("What we must keep, and why");
        reply.Body.ShouldContain("user.financial (payment_card.ccn, payment_card.code, payment_card.name): Art. 17(3)(b): accounting records kept under the Companies Act 2006. We keep it until 5 April 2032");
        var execution = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/execution");
        execution.GetProperty("erasure").GetProperty("exempt")[0].GetProperty("dataCategory").GetString().ShouldBe("user.financial");
    }

    [Theory]
    [InlineData("{\"rules\":[{\"dataCategory\":\"user.nonsense\",\"strategy\":\"auto\"}]}", "rules[0].dataCategory")]
    [InlineData("{\"rules\":[{\"dataCategory\":\"user\",\"strategy\":\"shred\"}]}", "rules[0].strategy")]
    [InlineData("{\"rules\":[{\"dataCategory\":\"user\",\"strategy\":\"string_rewrite\"}]}", "rules[0].strategy")]
    [InlineData("{\"rules\":[],\"exemptions\":[{\"dataCategory\":\"user.financial\",\"reason\":\"\"}]}", "exemptions[0].reason")]
    public async Task A_bad_erasure_policy_is_refused_naming_the_field_and_the_default_stays(string body, string field)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var response = await dpo.PutAsync("/api/requests/erasure-policy", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(await response.Content.ReadAsStringAsync());
        (await dpo.GetFromJsonAsync<JsonElement>("/api/requests/erasure-policy")).GetProperty("isDefault").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task DSR016_an_erasure_stopped_midway_pauses_with_a_clear_error_and_resumes_with_nothing_missed_and_nothing_applied_twice()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        // Random values make a second application visible: the same cell would get a different value.
        (await dpo.PutAsJsonAsync("/api/requests/erasure-policy", new
        {
            rules = new object[]
            {
                new { dataCategory = "user.name", strategy = "random_string_rewrite" },
                new { dataCategory = "user", strategy = "auto" },
            },
        })).EnsureSuccessStatusCode();
        var before = await shop.DumpAsync();
        var (staff, id) = await VerifiedRequestAsync("erasure");
        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).EnsureSuccessStatusCode();
        var hooks = App.Services.GetRequiredService<ErasureCheckpointHooks>();
        hooks.AfterSave = (progress, _) => progress.Completed.Count == 1 ? throw new IOException("connection reset by peer") : Task.CompletedTask;

        (await RunPendingAsync()).ShouldBe(0);

        var atCrash = await shop.DumpAsync();
        var done = FidesExampleDatabase.Changes(before, atCrash);
        done.ShouldNotBeEmpty();
        atCrash["customer[1].name"].ShouldBe("John Customer", "the customer is erased last, after the collections that reference it");
        var paused = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/execution");
        paused.GetProperty("status").GetString().ShouldBe("paused");
        paused.GetProperty("lastError").GetString()!.ShouldContain("could not be reached or stopped answering");
        var view = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        view.GetProperty("state").GetString().ShouldBe("in_progress");
        view.GetProperty("timeline").EnumerateArray().Last(e => e.GetProperty("kind").GetString() == "execution_paused")
            .GetProperty("summary").GetString()!.ShouldContain("resumes from its last checkpoint");
        var stored = await App.WithDbAsync(db => db.Set<RequestExecution>().SingleAsync());
        stored.ProgressEncrypted!.ShouldNotContain("pay_aaa");
        stored.SecretsEncrypted.ShouldStartWith("v1.");

        hooks.AfterSave = null;
        (await RunPendingAsync()).ShouldBe(0, "not before the retry is due");
        App.Time.Advance(TimeSpan.FromMinutes(2));
        (await RunPendingAsync()).ShouldBe(1);

        var final = await shop.DumpAsync();
        foreach (var cell in done.Select(c => c[..c.IndexOf(':')]))
        {
            final[cell].ShouldBe(atCrash[cell], $"{cell} was erased before the stop and not again");
        }
        var changed = FidesExampleDatabase.Changes(before, final).Select(c => c[..c.IndexOf(':')]).ToList();
        changed.ShouldBe(DefaultPolicyChanges(before).Select(c => c[..c.IndexOf(':')]), "every cell the erasure targets, and no other");
        final["customer[1].name"].Length.ShouldBe(30);
        (await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}")).GetProperty("state").GetString().ShouldBe("completed");
    }

    [Fact]
    public async Task DSR016_a_connection_that_drops_pauses_the_erasure_with_a_clear_error_and_it_resumes()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        (await dpo.PostAsJsonAsync("/api/connections", new
        {
            key = "shop",
            kind = "postgres",
            connectionString = "Host=127.0.0.1;Port=1;Database=x;Username=u;Password=sekrit;Timeout=2",
            datasets = new[] { FidesExampleDatabase.DatasetKey },
        })).EnsureSuccessStatusCode();
        var (staff, id) = await VerifiedRequestAsync("erasure");
        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).EnsureSuccessStatusCode();

        (await RunPendingAsync()).ShouldBe(0);

        var paused = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/execution");
        paused.GetProperty("status").GetString().ShouldBe("paused");
        paused.GetProperty("lastError").GetString()!.ShouldContain("could not be reached");
        paused.ToString().ShouldNotContain("sekrit");
        (await dpo.PostAsJsonAsync("/api/connections", new
        {
            key = "shop",
            kind = Provider == StorageProvider.Postgres ? "postgres" : "sqlite",
            connectionString = shop.ConnectionString,
            datasets = new[] { FidesExampleDatabase.DatasetKey },
        })).EnsureSuccessStatusCode();
        App.Time.Advance(TimeSpan.FromMinutes(2));
        (await RunPendingAsync()).ShouldBe(1);
        (await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}")).GetProperty("state").GetString().ShouldBe("completed");
    }

    [Fact]
    public async Task DSR016_DSR017_the_proof_is_signed_into_the_audit_trail_without_values_and_recipients_are_listed_and_their_notification_logged()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        (await dpo.PostAsync("/api/register/activities", new StringContent($$"""
            {"name": "Online shop orders", "status": "active", "purposes": ["essential.service"], "dataSubjects": ["customer"],
             "dataCategories": ["user.contact", "user.name"], "lawfulBasis": "contract", "lawfulBasisDetail": "Terms of sale",
             "sources": ["account-application-form"], "retention": {"period": "P6Y", "trigger": "account closed"},
             "datasets": ["{{FidesExampleDatabase.DatasetKey}}"],
             "recipients": [{"name": "Parcel Co", "kind": "processor", "country": "GB"}, {"name": "Card Payments Ltd", "kind": "processor"}]}
            """, System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var (staff, id) = await VerifiedRequestAsync("erasure");
        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).EnsureSuccessStatusCode();

        (await RunPendingAsync()).ShouldBe(1);

        var proof = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "requests.erasure_proof"));
        var details = JsonDocument.Parse(proof.Details!).RootElement;
        details.GetProperty("signature").GetString()!.Length.ShouldBe(64);
        var address = details.GetProperty("collections").EnumerateArray().Single(c => c.GetProperty("collection").GetString()!.EndsWith(":address", StringComparison.Ordinal));
        address.GetProperty("rows").GetInt32().ShouldBe(2);
        address.GetProperty("keyFingerprints").GetArrayLength().ShouldBe(2);
        address.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("strategy").GetString()).ShouldAllBe(s => s == "null_rewrite");
        foreach (var value in new[] { Customer1, "John Customer", "Example Street", "pay_aaa-aaa", "customer-1-alt" })
        {
            proof.Details!.ShouldNotContain(value);
        }
        (await App.WithDbAsync(db => db.Set<RequestExecution>().SingleAsync())).Summary!.ShouldNotContain("John Customer");

        var execution = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/execution");
        execution.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ShouldBe(["Card Payments Ltd", "Parcel Co"]);
        (await ReplyAsync()).Body.ShouldContain("We disclosed your data to: Card Payments Ltd, Parcel Co");
        (await staff.PostAsJsonAsync($"/api/requests/{id}/recipients/Parcel%20Co/notified", new { outcome = "maybe" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await staff.PostAsJsonAsync($"/api/requests/{id}/recipients/Nobody/notified", new { outcome = "notified" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var notified = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/recipients/Parcel%20Co/notified", new { outcome = "notified", note = "E-mailed their DPO" }));
        notified.GetProperty("outcome").GetString().ShouldBe("notified");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.recipient_notified"))).ShouldBe(1);
        (await dpo.GetStringAsync("/api/audit/verify")).ShouldContain("\"intact\":true");
    }

    [Fact]
    public async Task DSR022_rectification_applies_the_correction_and_keeps_only_fingerprints_of_the_old_values()
    {
        var (_, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var __ = shop;
        var before = await shop.DumpAsync();
        var (staff, id) = await VerifiedRequestAsync("rectification");
        var key = $"{FidesExampleDatabase.DatasetKey}:customer";

        var primary = await staff.PostAsJsonAsync($"/api/requests/{id}/rectify", new { changes = new[] { new { collection = key, field = "id", value = "7" } } });
        primary.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await primary.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("changes[0].field", out _).ShouldBeTrue();
        var joined = await staff.PostAsJsonAsync($"/api/requests/{id}/rectify", new { changes = new[] { new { collection = key, field = "address_id", value = "2" } } });
        joined.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var unknown = await staff.PostAsJsonAsync($"/api/requests/{id}/rectify", new { changes = new[] { new { collection = key, field = "nickname", value = "Jo" } } });
        (await unknown.Content.ReadAsStringAsync()).ShouldContain("nickname");
        FidesExampleDatabase.Changes(before, await shop.DumpAsync()).ShouldBeEmpty();

        var done = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/rectify", new { changes = new[] { new { collection = key, field = "name", value = "Jon Customer" } } }));

        done.GetProperty("changes")[0].GetProperty("rows").GetInt32().ShouldBe(1);
        done.GetProperty("request").GetProperty("state").GetString().ShouldBe("completed");
        FidesExampleDatabase.Changes(before, await shop.DumpAsync()).ShouldBe(["customer[1].name: John Customer -> Jon Customer"]);
        var entry = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == "requests.rectification_applied"));
        entry.Details!.ShouldNotContain("John");
        entry.Details!.ShouldNotContain("Jon Customer");
        JsonDocument.Parse(entry.Details!).RootElement.GetProperty("changes")[0].GetProperty("oldValueFingerprints")[0].GetString()!.Length.ShouldBe(64);
        (await ReplyAsync()).Body.ShouldContain("customer: name (1 record(s))");
    }

    [Fact]
    public async Task DSR021_a_restricted_subject_is_flagged_for_the_processing_named_and_lifting_tells_the_person_first()
    {
        var (staff, id) = await VerifiedRequestAsync("restriction");
        (await staff.GetFromJsonAsync<JsonElement>($"/api/restrictions/check?subject={Customer1}")).GetProperty("restricted").GetBoolean().ShouldBeFalse();
        (await staff.PostAsJsonAsync($"/api/requests/{id}/restrict", new { processing = "marketing analytics", ground = "rumour" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var restricted = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/restrict", new { processing = "marketing analytics", ground = "accuracy" }));

        restricted.GetProperty("state").GetString().ShouldBe("completed");
        var check = await staff.GetFromJsonAsync<JsonElement>($"/api/restrictions/check?subject={Uri.EscapeDataString("Customer-1@Example.com")}");
        check.GetProperty("restricted").GetBoolean().ShouldBeTrue();
        check.GetProperty("restrictions")[0].GetProperty("processing").GetString().ShouldBe("marketing analytics");
        (await ReplyAsync()).Body.ShouldContain("We will tell you before we lift this restriction");
        (await staff.GetAsync("/api/restrictions/check?subject=")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await staff.PostAsJsonAsync($"/api/requests/{id}/lift-restriction", new { reason = "" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/lift-restriction", new { reason = "We checked and your data was accurate." }))).ToString();

        var notice = (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.restriction_lift_notice"))).Decrypted(App);
        notice.Body.ShouldContain("We checked and your data was accurate.");
        (await staff.GetFromJsonAsync<JsonElement>($"/api/restrictions/check?subject={Customer1}")).GetProperty("restricted").GetBoolean().ShouldBeFalse();
        var kinds = (await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}")).GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        kinds.ShouldContain("lift_notice_sent");
        kinds.ShouldContain("restriction_lifted");
        (await staff.PostAsJsonAsync($"/api/requests/{id}/lift-restriction", new { reason = "again" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task DSR019_an_objection_to_direct_marketing_withdraws_the_direct_marketing_purposes_and_suppresses_the_person()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "newsletter", title = "Monthly newsletter", description = "News, once a month.", directMarketing = true })).EnsureSuccessStatusCode();
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "analytics", title = "Product analytics", description = "How people use our app." })).EnsureSuccessStatusCode();
        var draft = await Json(await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title = "Notice", body = "# Notice\n\nWe ask first.", purposes = new[] { "newsletter", "analytics" } }));
        var version = (await Json(await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null))).GetProperty("version").GetString();
        foreach (var purpose in new[] { "newsletter", "analytics" })
        {
            (await dpo.PostAsJsonAsync("/api/consent/events", new { subject = Customer1, purpose, action = "given", noticeVersion = version })).EnsureSuccessStatusCode();
        }
        var (staff, id) = await VerifiedRequestAsync("objection");

        var answered = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/object", new { kind = "direct_marketing" }));

        answered.GetProperty("state").GetString().ShouldBe("completed");
        (await staff.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Customer1}&purpose=newsletter")).GetProperty("allowed").GetBoolean().ShouldBeFalse();
        (await staff.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Customer1}&purpose=analytics")).GetProperty("allowed").GetBoolean().ShouldBeTrue("only direct marketing is withdrawn");
        await using (var scope = App.Services.CreateAsyncScope())
        {
            (await scope.ServiceProvider.GetRequiredService<Dataward.Consent.ConsentService>().IsSuppressedAsync(Customer1, "newsletter")).ShouldBeTrue();
        }
        var withdrawal = await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().SingleAsync(e => e.Action == "withdrawn"));
        withdrawal.Actor.ShouldBe(RequestExecutionService.ObjectionActor);
        (await App.EvidenceAsync(withdrawal)).ShouldContain("dsr-objection");
        (await ReplyAsync()).Body.ShouldContain("Monthly newsletter");
    }

    [Fact]
    public async Task DSR020_another_objection_restricts_while_assessed_and_the_decision_records_its_reasons()
    {
        var (staff, id) = await VerifiedRequestAsync("objection");
        (await staff.PostAsJsonAsync($"/api/requests/{id}/object", new { kind = "other", processing = "fraud scoring", decision = "reject" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var pending = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/object", new { kind = "other", processing = "fraud scoring" }));

        pending.GetProperty("state").GetString().ShouldBe("verified");
        (await staff.GetFromJsonAsync<JsonElement>($"/api/restrictions/check?subject={Customer1}")).GetProperty("restricted").GetBoolean().ShouldBeTrue();
        var decided = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/object", new
        {
            kind = "other",
            processing = "fraud scoring",
            decision = "reject",
            assessment = "Fraud prevention protects all customers and is required by our card scheme rules; the scoring uses only order data.",
        }));
        decided.GetProperty("state").GetString().ShouldBe("completed");
        (await staff.GetFromJsonAsync<JsonElement>($"/api/restrictions/check?subject={Customer1}")).GetProperty("restricted").GetBoolean().ShouldBeFalse();
        var reply = await ReplyAsync();
        reply.Body.ShouldContain("card scheme rules");
        reply.Body.ShouldContain("judicial remedy");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.objection_assessed"))).ShouldBe(1);
    }
}
