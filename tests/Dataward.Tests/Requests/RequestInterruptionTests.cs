using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Requests;
using Dataward.Tests.Connections;
using Dataward.Tests.Connectors;
using Dataward.Tests.Platform;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dataward.Tests.Requests;

public sealed class RequestInterruptionTests_Sqlite() : RequestInterruptionTests(StorageProvider.Sqlite);

public sealed class RequestInterruptionTests_Postgres() : RequestInterruptionTests(StorageProvider.Postgres);

/// <summary>Issue 5, "bad input": the organisation's database really goes away in the middle of an erasure (the run
/// is stopped by the store's own errors, not by a simulated exception), the request pauses with a clear error on its
/// page and in the API, and once the database is back it resumes, by the job or by staff, with nothing missed and
/// nothing applied twice (DSR016). And the erasure's page: plan, approval, progress and proof.</summary>
public abstract class RequestInterruptionTests(StorageProvider provider) : AppTest(provider)
{
    private const string Customer1 = "customer-1@example.com";

    /// <summary>A real outage of the shop's database. PostgreSQL stops accepting connections to it and ends the open
    /// ones (waiting until they are gone); SQLite's file disappears with its folder, as an unmounted volume's would,
    /// after the driver's pool lets go of its open handles.</summary>
    private sealed class Outage(FidesExampleDatabase shop)
    {
        private string SqliteFolder => Path.GetDirectoryName(new SqliteConnectionStringBuilder(shop.ConnectionString).DataSource)!;

        private string Database => new NpgsqlConnectionStringBuilder(shop.ConnectionString).Database!;

        public async Task BeginAsync()
        {
            if (shop.Provider == StorageProvider.Sqlite)
            {
                SqliteConnection.ClearPool(new SqliteConnection(shop.ConnectionString));
                Directory.Move(SqliteFolder, SqliteFolder + "-offline");
                return;
            }
            await AdminAsync($"ALTER DATABASE \"{Database}\" WITH ALLOW_CONNECTIONS false");
            await AdminAsync($"SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = '{Database}' AND pid <> pg_backend_pid()");
        }

        public async Task EndAsync()
        {
            if (shop.Provider == StorageProvider.Sqlite)
            {
                Directory.Move(SqliteFolder + "-offline", SqliteFolder);
                return;
            }
            await AdminAsync($"ALTER DATABASE \"{Database}\" WITH ALLOW_CONNECTIONS true");
            // The test's own pooled connections (for dumps) were ended with the others.
            NpgsqlConnection.ClearPool(new NpgsqlConnection(shop.ConnectionString));
        }

        private static async Task AdminAsync(string sql)
        {
            await using var admin = new NpgsqlConnection(TestDatabases.PostgresServer);
            await admin.OpenAsync();
            await using var command = new NpgsqlCommand(sql, admin);
            await command.ExecuteNonQueryAsync();
        }
    }

    private async Task<(HttpClient Staff, Guid Id)> VerifiedErasureAsync()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var response = await staff.PostAsJsonAsync("/api/requests", new { type = "erasure", identities = new { email = Customer1 }, channel = "email", identityChecked = "Reply from the address on the account" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (staff, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
    }

    private async Task<int> RunPendingAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RequestExecutionService>().RunPendingAsync();
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static List<string> Kinds(JsonElement request) => [.. request.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()!)];

    private static string Cell(string change) => change[..change.IndexOf(':')];

    [Theory]
    [InlineData("job")]
    [InlineData("api")]
    [InlineData("page")]
    public async Task DSR016_a_database_that_goes_away_midway_through_an_erasure_pauses_it_with_a_clear_error_and_it_resumes_with_nothing_missed_or_applied_twice(string resumedBy)
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
        var (staff, id) = await VerifiedErasureAsync();
        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).EnsureSuccessStatusCode();

        // The database goes away once a collection is done and the next one's changes are about to be written.
        var outage = new Outage(shop);
        Dictionary<string, string>? atDrop = null;
        string? interrupted = null;
        App.Services.GetRequiredService<ErasureCheckpointHooks>().AfterSave = async (progress, _) =>
        {
            if (atDrop is null && progress.Pending is { } pending && progress.Completed.Count > 0)
            {
                atDrop = await shop.DumpAsync();
                interrupted = pending.Collection;
                await outage.BeginAsync();
            }
        };

        (await RunPendingAsync()).ShouldBe(0);

        atDrop.ShouldNotBeNull("the run reached a second collection");
        var done = FidesExampleDatabase.Changes(before, atDrop).Select(Cell).ToList();
        done.ShouldNotBeEmpty("a collection was erased before the database went away");
        var paused = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        paused.GetProperty("state").GetString().ShouldBe("in_progress", "paused, not failed");
        var run = paused.GetProperty("run");
        run.GetProperty("kind").GetString().ShouldBe("erasure");
        run.GetProperty("status").GetString().ShouldBe("paused");
        run.GetProperty("lastError").GetString()!.ShouldContain("could not be reached or stopped answering");
        // The driver's own words: the server ended the connection; the file could not be opened, or (on a connection
        // opened before the file went away) can no longer be written.
        run.GetProperty("lastError").GetString()!.ShouldMatch(Provider == StorageProvider.Postgres
            ? "terminating connection due to administrator command"
            : "unable to open database file|attempt to write a readonly database");
        run.GetProperty("nextAttemptAt").ValueKind.ShouldBe(JsonValueKind.String);
        if (Provider == StorageProvider.Postgres)
        {
            paused.ToString().ShouldNotContain(new NpgsqlConnectionStringBuilder(shop.ConnectionString).Password!, Case.Sensitive, "the error names no secret");
        }
        Kinds(paused).ShouldContain("execution_paused");

        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var page = await ui.GetPageAsync($"/requests/{id}");
        page.ShouldContain("Paused: A connected database could not be reached or stopped answering");
        page.ShouldContain("Resume the erasure now");
        page.ShouldContain("Done so far");

        // Still down when the job tries again: it pauses again, from the same checkpoint, and loses nothing.
        App.Services.GetRequiredService<ErasureCheckpointHooks>().AfterSave = null;
        App.Time.Advance(TimeSpan.FromMinutes(2));
        (await RunPendingAsync()).ShouldBe(0);
        var again = (await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}")).GetProperty("run");
        again.GetProperty("attempts").GetInt32().ShouldBe(2);
        again.GetProperty("status").GetString().ShouldBe("paused");
        again.GetProperty("lastError").GetString()!.ShouldContain(Provider == StorageProvider.Postgres ? "is not currently accepting connections" : "unable to open database file");

        await outage.EndAsync();
        FidesExampleDatabase.Changes(atDrop, await shop.DumpAsync()).ShouldBeEmpty("nothing changed while the database was away");
        switch (resumedBy)
        {
            case "job":
                (await RunPendingAsync()).ShouldBe(0, "not before the next try is due");
                App.Time.Advance(TimeSpan.FromMinutes(3));
                (await RunPendingAsync()).ShouldBe(1);
                break;
            case "api":
                var resumed = await Json(await staff.PostAsync($"/api/requests/{id}/execution/resume", null));
                resumed.GetProperty("status").GetString().ShouldBe("completed");
                (await staff.PostAsync($"/api/requests/{id}/execution/resume", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
                break;
            default:
                var posted = await ui.SubmitAsync($"/requests/{id}", "resume-erasure", new Dictionary<string, string>());
                var html = await posted.Content.ReadAsStringAsync();
                posted.StatusCode.ShouldBe(HttpStatusCode.OK, html);
                html.ShouldContain("Resumed: the erasure is complete.");
                html.ShouldContain("Proof of erasure");
                break;
        }

        var final = await shop.DumpAsync();
        foreach (var cell in done)
        {
            final[cell].ShouldBe(atDrop[cell], $"{cell} was erased before the outage and not again");
        }
        var table = interrupted!.Split(':')[1];
        FidesExampleDatabase.Changes(before, final).Select(Cell).Where(c => c.StartsWith(table + "[", StringComparison.Ordinal)).ShouldNotBeEmpty(
            $"{interrupted}, whose changes the outage stopped, was erased on resuming");
        FidesExampleDatabase.Changes(before, final).Select(Cell)
            .ShouldBe(RequestErasureTests.DefaultPolicyChanges(before).Select(Cell), "every cell the erasure targets, and no other");
        var completed = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        completed.GetProperty("state").GetString().ShouldBe("completed");
        completed.GetProperty("run").GetProperty("status").GetString().ShouldBe("completed");
        var proofs = (await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}/execution")).GetProperty("erasure").GetProperty("proofs")
            .EnumerateArray().Select(p => p.GetProperty("collection").GetString()).ToList();
        proofs.ShouldBeUnique("one proof per collection, however many attempts");
        proofs.ShouldContain(interrupted);
        if (resumedBy != "job")
        {
            Kinds(completed).ShouldContain("execution_resumed");
        }
    }

    [Fact]
    public async Task The_erasure_request_page_shows_the_plan_the_dpo_approves_then_the_proof_and_the_reply_sent()
    {
        var (_, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var (_, id) = await VerifiedErasureAsync();
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var staffUi = App.Ui();
        await staffUi.SignInAsync("staff@example.org");
        var forStaff = await staffUi.GetPageAsync($"/requests/{id}");
        forStaff.ShouldContain("What the erasure will change and keep");
        forStaff.ShouldContain($"{FidesExampleDatabase.DatasetKey}:customer");
        forStaff.ShouldContain("Waiting for the DPO to review this plan");
        forStaff.ShouldNotContain("Approve the erasure");

        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var approved = await ui.SubmitAsync($"/requests/{id}", "approve", new Dictionary<string, string>());
        var html = await approved.Content.ReadAsStringAsync();
        approved.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        html.ShouldContain("Approved: the erasure runs in the background");
        html.ShouldContain("<dt>State</dt><dd>in progress</dd>");
        html.ShouldContain("<dt>Status</dt><dd>pending</dd>");

        (await RunPendingAsync()).ShouldBe(1);
        var page = await ui.GetPageAsync($"/requests/{id}");
        page.ShouldContain("Proof of erasure, signed into the audit trail");
        page.ShouldContain("email: null_rewrite");
        page.ShouldContain("Signature: <code>");
        page.ShouldContain("Your erasure request DSR-2026-000001: done");
        page.ShouldContain("What we erased");
        page.ShouldNotContain("John Customer", Case.Sensitive, "the proof holds no values");
    }
}
