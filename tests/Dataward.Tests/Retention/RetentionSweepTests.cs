using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Retention;
using Dataward.Tests.Connections;
using Dataward.Tests.Connectors;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Retention;

public sealed class RetentionSweepTests_Sqlite() : RetentionSweepTests(StorageProvider.Sqlite)
{
    [Fact]
    public async Task MIN007_a_page_with_a_trigger_that_is_not_a_date_is_swept_row_by_row_and_that_row_is_kept_and_reported()
    {
        // SQLite keeps dates as text: a value that sorts below the bound but is no date reaches the set-based page, which
        // must not delete it with the others.
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await shop.ExecuteAsync("INSERT INTO login VALUES (11, 1, '2019-13-45 99:00:00')");
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        var swept = Only(await SweepAsync(dpo, dryRun: false));
        Count(swept, "changed").ShouldBe(8);
        Skipped(swept, "unreadableTrigger").ShouldBe(1);
        var dump = await shop.DumpAsync();
        dump.ShouldContainKey("login[11].id");
        dump.ShouldNotContainKey("login[1].id");
        (await LedgerRowsAsync()).ShouldBe(8);
    }
}

public sealed class RetentionSweepTests_Postgres() : RetentionSweepTests(StorageProvider.Postgres)
{
    [Fact]
    public async Task MIN004_a_page_another_transaction_changes_while_its_checkpoint_is_saved_is_rolled_back_and_nothing_is_left_pending()
    {
        // The first page (logins 1 and 2) is read; login 2 is meanwhile given a recent time by a transaction that commits
        // while the page's pending checkpoint is saved and its DELETE waits on the row. PostgreSQL refuses the DELETE
        // (40001): the page is rolled back, its pending checkpoint withdrawn, and it is swept row by row.
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        await using var other = new Npgsql.NpgsqlConnection(shop.ConnectionString);
        await other.OpenAsync();
        await using var elsewhere = await other.BeginTransactionAsync();
        await using (var update = new Npgsql.NpgsqlCommand("UPDATE login SET \"time\" = TIMESTAMP '2026-11-01' WHERE id = 2", other, elsewhere))
        {
            (await update.ExecuteNonQueryAsync()).ShouldBe(1);
        }
        var saves = 0;
        App.Services.GetRequiredService<RetentionSweepHooks>().At = async (stage, _, _) =>
        {
            if (stage == "saved" && ++saves == 1)
            {
                await elsewhere.CommitAsync();
            }
        };

        var swept = Only(await SweepAsync(dpo, dryRun: false));

        swept.GetProperty("status").GetString().ShouldBe("completed");
        Count(swept, "matched").ShouldBe(7);
        Count(swept, "changed").ShouldBe(7);
        (await LedgerRowsAsync()).ShouldBe(7, "login 2 was not deleted, so it is not in the ledger");
        var dump = await shop.DumpAsync();
        dump.ShouldContainKey("login[2].id");
        dump.ShouldNotContainKey("login[1].id");
        (await App.WithDbAsync(db => db.Set<RetentionSweepRule>().CountAsync(r => r.Pending != null))).ShouldBe(0);
        // No page read ahead is left open in a transaction.
        await using var open = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'", other);
        (await open.ExecuteScalarAsync()).ShouldBe(0L);
    }
}

/// <summary>Sweeps against the Fides example shop connected through /api/connections. Its eight logins date from January
/// 2021 (six of customer 1, one each of customers 2 and 3); the tests add a recent one and one with no time. Batches are
/// two rows, so every sweep spans several transactions.</summary>
public abstract class RetentionSweepTests(StorageProvider provider) : AppTest(provider)
{
    private const string Jane = "jane@example.com";
    private const string Customer1 = "customer-1@example.com";

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Retention:BatchSize"] = "2",
        ["Retention:BatchesPerSecond"] = "0",
        // Pages of a fixed size, for the tests that stop at a given page; the test of growing pages lets them grow.
        ["Retention:PageSeconds"] = TestContext.Current.TestMethod?.MethodName.Contains("grow", StringComparison.Ordinal) == true ? "0.5" : "0",
    };

    protected async Task<(HttpClient Dpo, FidesExampleDatabase Shop)> ShopAsync()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await shop.ExecuteAsync("INSERT INTO login VALUES (9, 2, '2026-10-01 00:00:00'), (10, 2, NULL)");
        return (dpo, shop);
    }

    protected static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return JsonDocument.Parse(text).RootElement;
    }

    protected static async Task<Guid> RuleAsync(HttpClient dpo, object rule) =>
        (await Json(await dpo.PostAsJsonAsync("/api/retention/rules", rule))).GetProperty("id").GetGuid();

    protected static async Task<JsonElement> SweepAsync(HttpClient client, bool dryRun)
    {
        var response = await client.PostAsJsonAsync("/api/retention/sweeps", new { dryRun });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await Json(response);
    }

    protected Task<int> LedgerRowsAsync() => App.WithDbAsync(db => db.Set<RetentionErasureBatch>().SumAsync(b => b.Rows));

    protected static JsonElement Only(JsonElement sweep) => sweep.GetProperty("rules").EnumerateArray().ShouldHaveSingleItem();

    protected static long Count(JsonElement rule, string name) => rule.GetProperty(name).GetInt64();

    protected static long Skipped(JsonElement rule, string reason) => rule.GetProperty("skipped").GetProperty(reason).GetInt64();

    protected async Task DeleteLoginsByPolicyAsync(HttpClient dpo) =>
        (await dpo.PutAsJsonAsync("/api/requests/erasure-policy", new
        {
            rules = new object[] { new { dataCategory = "user.sensor", strategy = "delete_row" }, new { dataCategory = "user", strategy = "auto" } },
        })).EnsureSuccessStatusCode();

    private static object CustomerRule() => new
    {
        name = "Customers",
        dataset = FidesExampleDatabase.DatasetKey,
        collection = "customer",
        triggerField = "created",
        period = "P6Y",
        action = "erase",
        reason = "HMRC: accounting records kept 6 years from the end of the financial year",
    };

    [Fact]
    public async Task MIN002_MIN005_MIN007_a_dry_run_counts_per_rule_and_collection_changes_nothing_and_must_come_before_applying()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        var before = await shop.DumpAsync();

        var early = Only(await SweepAsync(dpo, dryRun: false));
        early.GetProperty("status").GetString().ShouldBe("skipped");
        early.GetProperty("note").GetString()!.ShouldContain("MIN002");
        FidesExampleDatabase.Changes(before, await shop.DumpAsync()).ShouldBeEmpty();

        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var dry = await SweepAsync(staff, dryRun: true);
        dry.GetProperty("dryRun").GetBoolean().ShouldBeTrue();
        dry.GetProperty("status").GetString().ShouldBe("completed");
        var counts = Only(dry);
        counts.GetProperty("ruleId").GetGuid().ShouldBe(id);
        counts.GetProperty("dataset").GetString().ShouldBe(FidesExampleDatabase.DatasetKey);
        counts.GetProperty("collection").GetString().ShouldBe("login");
        Count(counts, "matched").ShouldBe(8, "every January 2021 login; not the recent one");
        Count(counts, "untriggered").ShouldBe(1, "MIN007: the login with no time is reported, never expired");
        Count(counts, "outstanding").ShouldBe(8);
        Count(counts, "changed").ShouldBe(0);
        Count(counts, "batches").ShouldBe(4);
        FidesExampleDatabase.Changes(before, await shop.DumpAsync()).ShouldBeEmpty("a dry run changes nothing");
        (await staff.PostAsJsonAsync("/api/retention/sweeps", new { dryRun = false })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/retention/rules/{id}")).GetProperty("needsDryRun").GetBoolean().ShouldBeFalse();

        var applied = await SweepAsync(dpo, dryRun: false);
        var done = Only(applied);
        done.GetProperty("status").GetString().ShouldBe("completed");
        Count(done, "changed").ShouldBe(8);
        var after = await shop.DumpAsync();
        FidesExampleDatabase.Changes(before, after).ShouldBe(
            [.. Enumerable.Range(1, 8).Select(i => $"login[{i}].time: {before[$"login[{i}].time"]} -> null")],
            "the erasure policy's default nulls the sign-in times; the recent and the empty ones stay");
        var view = await dpo.GetFromJsonAsync<JsonElement>($"/api/retention/sweeps/{applied.GetProperty("id").GetGuid()}");
        Count(Only(view), "changed").ShouldBe(8);

        // MIN005: rule id and version, start and end, counts and actor; no value from the shop.
        var completed = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "retention.sweep_completed").ToListAsync());
        var entry = completed.Single(e => JsonDocument.Parse(e.Details!).RootElement is var d && !d.GetProperty("dryRun").GetBoolean()
            && d.GetProperty("rules")[0].GetProperty("changed").GetInt64() == 8);
        entry.Actor.ShouldStartWith("token:");
        var details = JsonDocument.Parse(entry.Details!).RootElement.GetProperty("rules")[0];
        details.GetProperty("rule").GetString().ShouldBe(id.ToString());
        details.GetProperty("ruleVersion").GetInt32().ShouldBe(1);
        details.GetProperty("matched").GetInt64().ShouldBe(8);
        details.GetProperty("startedAt").GetString().ShouldNotBeNull();
        var trail = string.Join("\n", await App.WithDbAsync(db => db.AuditEntries.Select(e => e.Details ?? "").ToListAsync()));
        trail.ShouldNotContain("2021-01-0");
        trail.ShouldNotContain("@example.com");

        // A changed rule is a new version: applying waits for its dry run again.
        (await dpo.PatchAsync($"/api/retention/rules/{id}", JsonContent.Create(new { period = "P1Y" }))).EnsureSuccessStatusCode();
        Only(await SweepAsync(dpo, dryRun: false)).GetProperty("status").GetString().ShouldBe("skipped");
    }

    [Fact]
    public async Task MIN003_rows_of_people_under_a_legal_hold_or_with_a_pending_request_are_skipped_and_counted_by_reason()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        var hold = await Json(await dpo.PostAsJsonAsync("/api/retention/holds", new
        {
            identity = "Jane@Example.com",
            reason = "Employment tribunal claim 2026/114",
            matterRef = "ET-2026-114",
        }));
        hold.GetProperty("active").GetBoolean().ShouldBeTrue();
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsJsonAsync("/api/requests", new { type = "access", identities = new { email = Customer1 } })).EnsureSuccessStatusCode();

        var dry = Only(await SweepAsync(dpo, dryRun: true));
        Count(dry, "matched").ShouldBe(8);
        Skipped(dry, "legalHold").ShouldBe(1);
        Skipped(dry, "pendingRequest").ShouldBe(6);
        Count(dry, "outstanding").ShouldBe(1);

        var applied = Only(await SweepAsync(dpo, dryRun: false));
        Count(applied, "changed").ShouldBe(1);
        Skipped(applied, "legalHold").ShouldBe(1);
        Skipped(applied, "pendingRequest").ShouldBe(6);
        var left = (await shop.DumpAsync()).Keys.Where(k => k.StartsWith("login[", StringComparison.Ordinal) && k.EndsWith(".id", StringComparison.Ordinal)).Order().ToList();
        left.ShouldBe(["login[10].id", "login[1].id", "login[2].id", "login[3].id", "login[4].id", "login[5].id", "login[6].id", "login[8].id", "login[9].id"]);

        var holds = await dpo.GetStringAsync("/api/retention/holds");
        holds.ShouldNotContain("jane", Case.Insensitive);
        holds.ShouldContain("ET-2026-114");
        (await staff.PostAsJsonAsync($"/api/retention/holds/{hold.GetProperty("id").GetGuid()}/release", new { })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Json(await dpo.PostAsJsonAsync($"/api/retention/holds/{hold.GetProperty("id").GetGuid()}/release", new { reason = "Claim settled" })))
            .GetProperty("active").GetBoolean().ShouldBeFalse();
        (await dpo.PostAsJsonAsync($"/api/retention/holds/{hold.GetProperty("id").GetGuid()}/release", new { })).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        var released = Only(await SweepAsync(dpo, dryRun: false));
        Count(released, "changed").ShouldBe(1, "the held login goes on the next sweep after release");
        Skipped(released, "legalHold").ShouldBe(0);
        (await shop.DumpAsync()).ShouldNotContainKey("login[8].id");
        string.Join("\n", await App.WithDbAsync(db => db.AuditEntries.Select(e => e.Details ?? "").ToListAsync())).ShouldNotContain(Jane, Case.Insensitive);
        (await dpo.PostAsJsonAsync("/api/retention/holds", new { identity = "", reason = "" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task MIN004_a_sweep_stopped_after_a_batch_committed_resumes_from_its_checkpoint_and_applies_nothing_twice()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        // Random names make a second application visible: the same cell would get another value.
        (await dpo.PutAsJsonAsync("/api/requests/erasure-policy", new
        {
            rules = new object[] { new { dataCategory = "user.name", strategy = "random_string_rewrite" }, new { dataCategory = "user", strategy = "auto" } },
        })).EnsureSuccessStatusCode();
        await RuleAsync(dpo, CustomerRule());
        await SweepAsync(dpo, dryRun: true);
        var before = await shop.DumpAsync();
        var hooks = App.Services.GetRequiredService<RetentionSweepHooks>();
        var stops = 0;
        hooks.At = (stage, _, _) => stage == "applied" && stops++ == 0 ? throw new IOException("connection reset by peer") : Task.CompletedTask;

        var stopped = await SweepAsync(dpo, dryRun: false);

        stopped.GetProperty("status").GetString().ShouldBe("paused");
        stopped.GetProperty("error").GetString()!.ShouldContain("Nothing was half-applied");
        var paused = Only(stopped);
        paused.GetProperty("status").GetString().ShouldBe("paused");
        paused.GetProperty("error").GetString()!.ShouldContain("could not be reached or stopped answering");
        var atStop = await shop.DumpAsync();
        atStop["customer[1].name"].ShouldNotBe("John Customer", "the first batch committed before the stop");
        atStop["customer[3].name"].ShouldBe("Jane Customer");
        hooks.At = null;

        var resumed = await Json(await dpo.PostAsync($"/api/retention/sweeps/{stopped.GetProperty("id").GetGuid()}/resume", null));

        resumed.GetProperty("status").GetString().ShouldBe("completed");
        Count(Only(resumed), "changed").ShouldBe(3);
        var after = await shop.DumpAsync();
        after["customer[1].name"].ShouldBe(atStop["customer[1].name"], "not masked a second time");
        after["customer[2].name"].ShouldBe(atStop["customer[2].name"]);
        after["customer[3].name"].Length.ShouldBe(30);
        FidesExampleDatabase.Changes(before, after).Count.ShouldBe(6, "name and e-mail of three customers, nothing else");
        (await LedgerRowsAsync()).ShouldBe(3);

        var again = Only(await SweepAsync(dpo, dryRun: false));
        Count(again, "changed").ShouldBe(0);
        Skipped(again, "alreadyErased").ShouldBe(3, "idempotent: a masked row keeps its date but is not masked again");
        FidesExampleDatabase.Changes(after, await shop.DumpAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task MIN004_MIN008_a_sweep_stopped_after_a_later_batch_applied_keeps_the_earlier_batchs_ledger_rows_and_records_every_row_once()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        (await dpo.PutAsJsonAsync("/api/requests/erasure-policy", new
        {
            rules = new object[] { new { dataCategory = "user.name", strategy = "random_string_rewrite" }, new { dataCategory = "user", strategy = "auto" } },
        })).EnsureSuccessStatusCode();
        await RuleAsync(dpo, CustomerRule());
        await SweepAsync(dpo, dryRun: true);
        var before = await shop.DumpAsync();
        var hooks = App.Services.GetRequiredService<RetentionSweepHooks>();
        var applied = 0;
        // The first batch's checkpoint and ledger rows commit with the second batch's pending checkpoint; the stop comes
        // after the second batch committed in the shop and before anything more is saved here.
        hooks.At = (stage, _, _) => stage == "applied" && ++applied == 2 ? throw new IOException("connection reset by peer") : Task.CompletedTask;

        var stopped = await SweepAsync(dpo, dryRun: false);

        Only(stopped).GetProperty("status").GetString().ShouldBe("paused");
        Count(Only(stopped), "changed").ShouldBe(2, "the first batch's checkpoint was saved");
        (await LedgerRowsAsync()).ShouldBe(2, "with its ledger rows; the second batch is still pending");
        var atStop = await shop.DumpAsync();
        atStop["customer[3].name"].ShouldNotBe("Jane Customer", "the second batch committed in the shop before the stop");
        hooks.At = null;

        var resumed = await Json(await dpo.PostAsync($"/api/retention/sweeps/{stopped.GetProperty("id").GetGuid()}/resume", null));

        resumed.GetProperty("status").GetString().ShouldBe("completed");
        Count(Only(resumed), "changed").ShouldBe(3);
        Count(Only(resumed), "failed").ShouldBe(0);
        var after = await shop.DumpAsync();
        after["customer[3].name"].ShouldBe(atStop["customer[3].name"], "not masked a second time");
        FidesExampleDatabase.Changes(before, after).Count.ShouldBe(6, "name and e-mail of three customers, nothing else");
        (await LedgerRowsAsync()).ShouldBe(3, "each changed row recorded once");
    }

    [Theory]
    [InlineData("set", 2)]
    [InlineData("saved", 2)]
    [InlineData("pending", 2)]
    [InlineData("applied", 2)]
    [InlineData("applied", 4)]
    public async Task MIN004_MIN008_a_delete_rule_changes_each_page_with_one_statement_and_a_stop_at_any_seam_resumes_with_every_row_once(string seam, int page)
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        var hooks = App.Services.GetRequiredService<RetentionSweepHooks>();
        var (setPages, seen) = (0, 0);
        // The stop comes at a page's seam (of four): the pages before it are changed and recorded, this one is in flight;
        // after the last page's change, nothing but its checkpoint is left.
        hooks.At = (stage, _, _) =>
        {
            setPages += stage == "set" ? 1 : 0;
            return stage == seam && ++seen == page ? throw new IOException("connection reset by peer") : Task.CompletedTask;
        };

        var stopped = await SweepAsync(dpo, dryRun: false);

        Only(stopped).GetProperty("status").GetString().ShouldBe("paused");
        // A page's pending checkpoint is saved while its statement runs, so a stop there comes before the page is changed.
        setPages.ShouldBe(seam == "saved" ? page - 1 : page, "each page of expired logins is deleted by one statement, checked before it commits");
        setPages = 0;
        hooks.At = (stage, _, _) =>
        {
            setPages += stage == "set" ? 1 : 0;
            return Task.CompletedTask;
        };
        var resumed = Only(await Json(await dpo.PostAsync($"/api/retention/sweeps/{stopped.GetProperty("id").GetGuid()}/resume", null)));

        resumed.GetProperty("status").GetString().ShouldBe("completed");
        Count(resumed, "matched").ShouldBe(8);
        Count(resumed, "changed").ShouldBe(8);
        Count(resumed, "failed").ShouldBe(0);
        if (page < 4)
        {
            setPages.ShouldBeGreaterThan(0, "after the interrupted page is finished row by row, the rest are set-based again");
        }
        var left = (await shop.DumpAsync()).Keys.Where(k => k.StartsWith("login[", StringComparison.Ordinal) && k.EndsWith(".id", StringComparison.Ordinal)).Order().ToList();
        left.ShouldBe(["login[10].id", "login[9].id"], "the recent login and the one with no time");
        (await LedgerRowsAsync()).ShouldBe(8, "each deleted row recorded once");
        var again = Only(await SweepAsync(dpo, dryRun: false));
        Count(again, "matched").ShouldBe(0);
        Count(again, "changed").ShouldBe(0);
    }

    [Fact]
    public async Task MIN004_a_batch_left_pending_by_a_run_that_named_rows_by_fingerprint_is_finished_once()
    {
        // A sweep paused with a batch pending, then resumed by a version whose ledger keeps integer keys: the pending
        // batch's rows, named by their fingerprints, are each changed and recorded once.
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        var hooks = App.Services.GetRequiredService<RetentionSweepHooks>();
        var pendings = 0;
        hooks.At = (stage, _, _) => stage == "pending" && ++pendings == 2 ? throw new IOException("connection reset by peer") : Task.CompletedTask;
        var stopped = await SweepAsync(dpo, dryRun: false);
        Only(stopped).GetProperty("status").GetString().ShouldBe("paused");
        hooks.At = null;

        // The second page (logins 3 and 4) pending, as the earlier version wrote it: fingerprints of the keys' text.
        var ring = App.Services.GetRequiredService<KeyRing>();
        var key = Convert.FromHexString(ring.Hash("fingerprint", "retention.keys"));
        byte[] Legacy(long login) => System.Security.Cryptography.HMACSHA256.HashData(key,
            System.Text.Encoding.UTF8.GetBytes("key\n" + Dataward.Connectors.Stores.StoreValues.Canonical([login])))[..16];
        var legacy = JsonSerializer.Serialize(new { Fingerprints = Convert.ToBase64String([.. Legacy(3), .. Legacy(4)]), Digests = new[] { "deleted" } });
        (await App.WithDbAsync(db => db.Set<RetentionSweepRule>().Where(r => r.Pending != null)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Pending, legacy)))).ShouldBe(1);

        var resumed = Only(await Json(await dpo.PostAsync($"/api/retention/sweeps/{stopped.GetProperty("id").GetGuid()}/resume", null)));
        resumed.GetProperty("status").GetString().ShouldBe("completed");
        Count(resumed, "matched").ShouldBe(8);
        Count(resumed, "changed").ShouldBe(8);
        (await LedgerRowsAsync()).ShouldBe(8, "each deleted row recorded once");
        var left = (await shop.DumpAsync()).Keys.Where(k => k.StartsWith("login[", StringComparison.Ordinal) && k.EndsWith(".id", StringComparison.Ordinal)).Order().ToList();
        left.ShouldBe(["login[10].id", "login[9].id"]);
    }

    [Fact]
    public async Task MIN004_set_based_pages_grow_towards_the_target_time_and_every_row_is_still_changed_and_recorded_once()
    {
        // The test clock stands still, so each page seems to take no time and the next is four times its size: 2, then 8.
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        var setPages = 0;
        App.Services.GetRequiredService<RetentionSweepHooks>().At = (stage, _, _) =>
        {
            setPages += stage == "set" ? 1 : 0;
            return Task.CompletedTask;
        };
        var swept = Only(await SweepAsync(dpo, dryRun: false));
        Count(swept, "changed").ShouldBe(8);
        setPages.ShouldBe(2, "a page of 2 rows, then one of up to 8 (the 6 left)");
        (await LedgerRowsAsync()).ShouldBe(8);
        var left = (await shop.DumpAsync()).Keys.Where(k => k.StartsWith("login[", StringComparison.Ordinal) && k.EndsWith(".id", StringComparison.Ordinal)).Order().ToList();
        left.ShouldBe(["login[10].id", "login[9].id"]);
    }

    [Fact]
    public async Task MIN004_a_grown_page_left_pending_by_a_stop_is_finished_with_every_row_changed_and_recorded_once()
    {
        // Pages of 2, then 8 (the clock stands still): the stop comes after the second page's six rows were saved as
        // pending and before its change committed. The batch finished on resume is the whole page, not a batch of 2 with
        // the other four taken for gone.
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        var hooks = App.Services.GetRequiredService<RetentionSweepHooks>();
        var pendings = 0;
        hooks.At = (stage, _, _) => stage == "pending" && ++pendings == 2 ? throw new IOException("connection reset by peer") : Task.CompletedTask;
        var stopped = await SweepAsync(dpo, dryRun: false);
        Only(stopped).GetProperty("status").GetString().ShouldBe("paused");
        (await shop.DumpAsync()).ShouldContainKey("login[8].id", "the second page was rolled back");
        hooks.At = null;

        var resumed = Only(await Json(await dpo.PostAsync($"/api/retention/sweeps/{stopped.GetProperty("id").GetGuid()}/resume", null)));

        resumed.GetProperty("status").GetString().ShouldBe("completed");
        Count(resumed, "matched").ShouldBe(8);
        Count(resumed, "changed").ShouldBe(8);
        (await LedgerRowsAsync()).ShouldBe(8, "each deleted row recorded once");
        var left = (await shop.DumpAsync()).Keys.Where(k => k.StartsWith("login[", StringComparison.Ordinal) && k.EndsWith(".id", StringComparison.Ordinal)).Order().ToList();
        left.ShouldBe(["login[10].id", "login[9].id"]);
    }

    [Fact]
    public async Task MIN008_constant_masks_change_pages_with_one_statement_and_the_next_sweep_finds_the_rows_already_erased()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        (await dpo.PutAsJsonAsync("/api/requests/erasure-policy", new
        {
            rules = new object[] { new { dataCategory = "user.name", strategy = "null_rewrite" }, new { dataCategory = "user", strategy = "auto" } },
        })).EnsureSuccessStatusCode();
        await RuleAsync(dpo, CustomerRule());
        await SweepAsync(dpo, dryRun: true);
        var before = await shop.DumpAsync();
        var hooks = App.Services.GetRequiredService<RetentionSweepHooks>();
        var setPages = 0;
        hooks.At = (stage, _, _) =>
        {
            setPages += stage == "set" ? 1 : 0;
            return Task.CompletedTask;
        };

        var applied = Only(await SweepAsync(dpo, dryRun: false));

        Count(applied, "changed").ShouldBe(3);
        setPages.ShouldBe(2, "three customers in pages of two");
        var after = await shop.DumpAsync();
        FidesExampleDatabase.Changes(before, after).Count.ShouldBe(6, "name and e-mail of three customers, nothing else");
        foreach (var id in new[] { 1, 2, 3 })
        {
            after[$"customer[{id}].name"].ShouldBe("null");
            after[$"customer[{id}].email"].ShouldBe("null");
        }
        (await LedgerRowsAsync()).ShouldBe(3);

        var again = Only(await SweepAsync(dpo, dryRun: false));
        Count(again, "matched").ShouldBe(3, "a masked row keeps its date");
        Count(again, "changed").ShouldBe(0);
        Skipped(again, "alreadyErased").ShouldBe(3);
        FidesExampleDatabase.Changes(after, await shop.DumpAsync()).ShouldBeEmpty("a page with rows masked before is rolled back and left alone");
        (await LedgerRowsAsync()).ShouldBe(3);
    }

    [Fact]
    public async Task MIN004_a_batch_refused_midway_by_the_database_is_rolled_back_whole_and_the_sweep_resumes_once_fixed()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        (await dpo.PutAsJsonAsync("/api/requests/erasure-policy", new
        {
            rules = new object[] { new { dataCategory = "user.name", strategy = "random_string_rewrite" }, new { dataCategory = "user", strategy = "auto" } },
        })).EnsureSuccessStatusCode();
        await RuleAsync(dpo, CustomerRule());
        await SweepAsync(dpo, dryRun: true);
        await shop.ExecuteAsync(Provider == StorageProvider.Postgres
            ? """
              CREATE FUNCTION refuse_two() RETURNS trigger AS $$ BEGIN IF OLD.id = 2 THEN RAISE EXCEPTION 'customer 2 is locked'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
              CREATE TRIGGER refuse_two BEFORE UPDATE ON customer FOR EACH ROW EXECUTE FUNCTION refuse_two();
              """
            : "CREATE TRIGGER refuse_two BEFORE UPDATE ON customer WHEN old.id = 2 BEGIN SELECT RAISE(ABORT, 'customer 2 is locked'); END;");
        var before = await shop.DumpAsync();

        var stopped = await SweepAsync(dpo, dryRun: false);

        stopped.GetProperty("status").GetString().ShouldBe("paused");
        Only(stopped).GetProperty("error").GetString()!.ShouldContain("customer 2 is locked");
        FidesExampleDatabase.Changes(before, await shop.DumpAsync()).ShouldBeEmpty("customer 1, in the same batch as customer 2, is not changed either");
        await shop.ExecuteAsync("DROP TRIGGER refuse_two" + (Provider == StorageProvider.Postgres ? " ON customer" : ""));

        var resumed = await Json(await dpo.PostAsync($"/api/retention/sweeps/{stopped.GetProperty("id").GetGuid()}/resume", null));
        resumed.GetProperty("status").GetString().ShouldBe("completed");
        Count(Only(resumed), "changed").ShouldBe(3);
    }

    [Fact]
    public async Task MIN004_a_dropped_connection_pauses_the_sweep_with_a_clear_error_and_no_secret_and_the_background_job_resumes_it()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        (await dpo.PostAsJsonAsync("/api/connections", new
        {
            key = "shop",
            kind = "postgres",
            connectionString = "Host=127.0.0.1;Port=1;Database=x;Username=u;Password=sekrit;Timeout=2",
            datasets = new[] { FidesExampleDatabase.DatasetKey },
        })).EnsureSuccessStatusCode();

        var stopped = await SweepAsync(dpo, dryRun: false);

        stopped.GetProperty("status").GetString().ShouldBe("paused");
        Only(stopped).GetProperty("error").GetString()!.ShouldContain("could not be reached");
        stopped.ToString().ShouldNotContain("sekrit");
        (await dpo.PostAsJsonAsync("/api/connections", new
        {
            key = "shop",
            kind = Provider == StorageProvider.Postgres ? "postgres" : "sqlite",
            connectionString = shop.ConnectionString,
            datasets = new[] { FidesExampleDatabase.DatasetKey },
        })).EnsureSuccessStatusCode();
        async Task<int> RunDueAsync()
        {
            await using var scope = App.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RetentionSweeps>().RunDueAsync();
        }
        (await RunDueAsync()).ShouldBe(0, "not before the retry is due");
        App.Time.Advance(TimeSpan.FromMinutes(2));
        (await RunDueAsync()).ShouldBe(1);
        var view = await dpo.GetFromJsonAsync<JsonElement>($"/api/retention/sweeps/{stopped.GetProperty("id").GetGuid()}");
        view.GetProperty("status").GetString().ShouldBe("completed");
        view.GetProperty("attempts").GetInt32().ShouldBe(2);
        Count(Only(view), "changed").ShouldBe(8);
    }

    [Fact]
    public async Task MIN008_erasures_are_recorded_by_key_encrypted_and_a_replay_erases_rows_a_restore_brought_back()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        var id = await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        Count(Only(await SweepAsync(dpo, dryRun: false)), "changed").ShouldBe(8);
        var ledger = await dpo.GetFromJsonAsync<JsonElement>("/api/retention/erasures");
        var entry = ledger.EnumerateArray().ShouldHaveSingleItem();
        entry.GetProperty("ruleId").GetGuid().ShouldBe(id);
        entry.GetProperty("action").GetString().ShouldBe("deleted");
        entry.GetProperty("rows").GetInt64().ShouldBe(8);
        // The erased rows' integer keys ("ids only"), encrypted under the key ring: unreadable without it.
        var batches = await App.WithDbAsync(db => db.Set<RetentionErasureBatch>().ToListAsync());
        batches.ShouldAllBe(b => b.Format == RetentionErasureBatch.KeyFormat && !b.Replay);
        foreach (var batch in batches)
        {
            Should.Throw<System.Security.Cryptography.CryptographicException>(() => new KeyRing([KeyRing.NewKey()]).Decrypt(batch.Fingerprints, "retention.ledger"));
        }
        (await dpo.DeleteAsync($"/api/retention/rules/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/retention/rules/{id}")).GetProperty("status").GetString().ShouldBe("retired", "an applied rule is kept");

        // A backup from before the sweep is restored: two of the erased logins are back.
        await shop.ExecuteAsync("INSERT INTO login VALUES (7, 2, '2021-01-06 01:00:00'), (8, 3, '2021-01-06 01:00:00')");
        var dry = await Json(await dpo.PostAsJsonAsync("/api/retention/erasures/replay", new { dryRun = true }));
        dry.GetProperty("kind").GetString().ShouldBe("replay");
        Count(Only(dry), "matched").ShouldBe(2);
        Count(Only(dry), "outstanding").ShouldBe(2);
        (await shop.DumpAsync()).ShouldContainKey("login[7].id");

        var replayed = await Json(await dpo.PostAsJsonAsync("/api/retention/erasures/replay", new { dryRun = false }));
        Count(Only(replayed), "changed").ShouldBe(2);
        var dump = await shop.DumpAsync();
        dump.ShouldNotContainKey("login[7].id");
        dump.ShouldNotContainKey("login[8].id");
        dump.ShouldContainKey("login[9].id");
        (await dpo.GetFromJsonAsync<JsonElement>("/api/retention/erasures"))[0].GetProperty("replayed").GetInt64().ShouldBe(2);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "retention.replay_completed"))).ShouldBe(2);
    }

    [Fact]
    public async Task MIN008_integer_keys_a_ledger_recorded_by_keyed_fingerprint_are_still_recognised()
    {
        // Before the ledger kept integer keys it kept their keyed fingerprints: such a ledger must still be replayed, and
        // its rows not counted as erased for the first time when they are erased again.
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        var id = await RuleAsync(dpo, RetentionScheduleTests.LoginRule());
        await SweepAsync(dpo, dryRun: true);
        Count(Only(await SweepAsync(dpo, dryRun: false)), "changed").ShouldBe(8);
        var ring = App.Services.GetRequiredService<KeyRing>();
        var key = Convert.FromHexString(ring.Hash("fingerprint", "retention.keys"));
        byte[] Legacy(long login) => System.Security.Cryptography.HMACSHA256.HashData(key,
            System.Text.Encoding.UTF8.GetBytes("key\n" + Dataward.Connectors.Stores.StoreValues.Canonical([login])))[..16];
        await App.WithDbAsync(async db =>
        {
            var recorded = await db.Set<RetentionErasureBatch>().ToListAsync();
            recorded.Sum(b => b.Rows).ShouldBe(8);
            db.RemoveRange(recorded);
            var batch = recorded[0];
            db.Add(new RetentionErasureBatch
            {
                RuleId = id,
                SweepId = batch.SweepId,
                Dataset = batch.Dataset,
                Collection = batch.Collection,
                Action = batch.Action,
                Rows = 2,
                Format = RetentionErasureBatch.FingerprintFormat,
                Fingerprints = [.. Legacy(7), .. Legacy(8)],
                AppliedAt = batch.AppliedAt,
            });
            return await db.SaveChangesAsync();
        });

        await shop.ExecuteAsync("INSERT INTO login VALUES (7, 2, '2021-01-06 01:00:00'), (8, 3, '2021-01-06 01:00:00')");
        Count(Only(await Json(await dpo.PostAsJsonAsync("/api/retention/erasures/replay", new { dryRun = true }))), "matched").ShouldBe(2);
        Count(Only(await Json(await dpo.PostAsJsonAsync("/api/retention/erasures/replay", new { dryRun = false }))), "changed").ShouldBe(2);
        var dump = await shop.DumpAsync();
        dump.ShouldNotContainKey("login[7].id");
        dump.ShouldNotContainKey("login[8].id");
        var ledger = (await dpo.GetFromJsonAsync<JsonElement>("/api/retention/erasures")).EnumerateArray().ShouldHaveSingleItem();
        ledger.GetProperty("rows").GetInt64().ShouldBe(2);
        ledger.GetProperty("replayed").GetInt64().ShouldBe(2, "recognised as erased before, recorded as a replay");
    }

    [Fact]
    public async Task Anonymise_generalises_personal_dates_to_the_month_and_a_review_rule_on_dates_only_counts()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule(action: "anonymise"));
        await RuleAsync(dpo, new
        {
            name = "Service requests",
            dataset = FidesExampleDatabase.DatasetKey,
            collection = "service_request",
            triggerField = "closed",
            period = "P1Y",
            reason = "Business need: complaints about a closed request arrive within a year",
        });
        await SweepAsync(dpo, dryRun: true);
        var before = await shop.DumpAsync();

        var sweep = await SweepAsync(dpo, dryRun: false);

        var rules = sweep.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("ruleName").GetString()!);
        Count(rules["Logins"], "changed").ShouldBe(8);
        var review = rules["Service requests"];
        review.GetProperty("action").GetString().ShouldBe("review");
        Count(review, "matched").ShouldBe(3);
        Count(review, "untriggered").ShouldBe(1, "MIN007 on a date column: the open request has no closing date");
        Count(review, "outstanding").ShouldBe(3, "flagged for a person");
        Count(review, "changed").ShouldBe(0);
        var changes = FidesExampleDatabase.Changes(before, await shop.DumpAsync());
        changes.Count.ShouldBe(8, string.Join("\n", changes));
        changes.ShouldAllBe(c => c.StartsWith("login[", StringComparison.Ordinal) && c.Contains("].time: "));
        var times = await shop.Store.SelectAsync("login", ["id", "time"], [Dataward.Connectors.Stores.KeyFilter.Of("id", Enumerable.Range(1, 8).Select(i => (object?)(long)i))]);
        times.Select(r => r["time"]).ShouldAllBe(t => Equals(t, new DateTime(2021, 1, 1)), "January 2021, to the month");
    }

    [Fact]
    public async Task A_rule_on_a_cron_schedule_is_swept_by_the_background_job_when_due_and_only_after_a_dry_run()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        var rule = (await dpo.PostAsJsonAsync("/api/retention/rules", new
        {
            name = "Logins",
            dataset = FidesExampleDatabase.DatasetKey,
            collection = "login",
            triggerField = "time",
            period = "P2Y",
            action = "erase",
            reason = "Business need",
            schedule = "0 2 * * *",
        }));
        rule.EnsureSuccessStatusCode();
        async Task<int> RunDueAsync()
        {
            await using var scope = App.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RetentionSweeps>().RunDueAsync();
        }
        (await RunDueAsync()).ShouldBe(0, "02:00 has not come");
        App.Time.Advance(TimeSpan.FromHours(17.5));
        (await RunDueAsync()).ShouldBe(1);
        (await RunDueAsync()).ShouldBe(0, "once per occurrence");
        var first = (await dpo.GetFromJsonAsync<JsonElement>("/api/retention/sweeps"))[0];
        first.GetProperty("trigger").GetString().ShouldBe("schedule");
        Only(first).GetProperty("status").GetString().ShouldBe("skipped", "MIN002: no dry run yet");

        await SweepAsync(dpo, dryRun: true);
        App.Time.Advance(TimeSpan.FromDays(1));
        (await RunDueAsync()).ShouldBe(1);
        var second = (await dpo.GetFromJsonAsync<JsonElement>("/api/retention/sweeps"))[0];
        second.GetProperty("actor").GetString().ShouldBe(RetentionSweeps.ScheduleActor);
        Count(Only(second), "changed").ShouldBe(8);
    }

    [Fact]
    public async Task The_cli_sweeps_with_a_dry_run_and_lists_the_erasure_ledger_for_a_replay()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        await DeleteLoginsByPolicyAsync(dpo);
        await RuleAsync(dpo, RetentionScheduleTests.LoginRule());

        var dry = await DatawardProcess.RunAsync(App.Database.Environment, null, "retention", "sweep", "--dry-run");
        dry.ExitCode.ShouldBe(0, dry.Stderr);
        dry.Stdout.ShouldContain("(dry run): completed");
        dry.Stdout.ShouldContain($"Logins v1 {FidesExampleDatabase.DatasetKey}:login erase: completed; matched 8, changed 0, would change 8, untriggered 1");
        (await shop.DumpAsync()).ShouldContainKey("login[1].id");

        var applied = await DatawardProcess.RunAsync(App.Database.Environment, null, "retention", "sweep");
        applied.ExitCode.ShouldBe(0, applied.Stderr);
        applied.Stdout.ShouldContain("matched 8, changed 8");
        var listed = await DatawardProcess.RunAsync(App.Database.Environment, null, "retention", "replay", "--dry-run");
        listed.ExitCode.ShouldBe(0, listed.Stderr);
        listed.Stdout.ShouldContain($"Logins: 8 row(s) deleted in {FidesExampleDatabase.DatasetKey}:login");
        listed.Stdout.ShouldContain("Replay");
        (await DatawardProcess.RunAsync(App.Database.Environment, null, "retention", "resume", "not-a-guid")).ExitCode.ShouldBe(2);
    }
}
