using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Requests;
using Dataward.Tests.Connections;
using Dataward.Tests.Connectors;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Requests;

public sealed class RequestAccessTests_Sqlite() : RequestAccessTests(StorageProvider.Sqlite);

public sealed class RequestAccessTests_Postgres() : RequestAccessTests(StorageProvider.Postgres);

/// <summary>Access and portability requests run against the organisation's databases (issue 5 points 5, 6, 10): the
/// plan, Fides-parity results, the package, review and release, and the person's download behind a fresh code.</summary>
public abstract partial class RequestAccessTests(StorageProvider provider) : AppTest(provider)
{
    private const string Customer1 = "customer-1@example.com";

    private async Task<(HttpClient Dpo, FidesExampleDatabase Shop)> ShopAsync() => await ConnectionTests.ConnectShopAsync(App, Provider);

    private async Task<Guid> VerifiedRequestAsync(HttpClient staff, string email = Customer1, string type = "access")
    {
        var response = await staff.PostAsJsonAsync("/api/requests", new { type, identities = new { email }, channel = "email", identityChecked = "Reply from the address on the account" });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        response.IsSuccessStatusCode.ShouldBeTrue(await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<string> LatestCodeAsync(string purpose)
    {
        var message = (await App.WithDbAsync(db => db.Set<OutboxMessage>().Where(m => m.Purpose.StartsWith(purpose)).OrderByDescending(m => m.CreatedAt).FirstAsync())).Decrypted(App);
        return Code().Match(message.Body).Value;
    }

    private static Dictionary<string, string> Unzip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip));
        return archive.Entries.ToDictionary(e => e.FullName, e => new StreamReader(e.Open()).ReadToEnd());
    }

    /// <summary>A row as compact JSON, numbers compared by value (money is 20.00 on PostgreSQL, 20 on SQLite).</summary>
    private static string Row(JsonElement row) => JsonSerializer.Serialize(row.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind switch
    {
        JsonValueKind.Number => (object?)p.Value.GetDouble(),
        JsonValueKind.String => p.Value.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        _ => p.Value.ToString(),
    }));

    [Fact]
    public async Task DSR006_no_plan_results_or_package_before_the_identity_is_verified()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var created = await Json(await dpo.PostAsJsonAsync("/api/requests", new { type = "access", identities = new { email = Customer1 } }));
        var id = created.GetProperty("id").GetGuid();
        foreach (var path in new[] { "plan", "results", "package" })
        {
            var response = await dpo.GetAsync($"/api/requests/{id}/{path}");
            response.StatusCode.ShouldBe(HttpStatusCode.Conflict, path);
            (await response.Content.ReadAsStringAsync()).ShouldContain("DSR006");
        }
        (await dpo.PostAsync($"/api/requests/{id}/run", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await App.Services.CreateScope().ServiceProvider.GetRequiredService<RequestAccessService>().RunDueAsync()).ShouldBe(0);
        (await dpo.GetAsync($"/api/requests/{Guid.NewGuid()}/plan")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_plan_shows_steps_inputs_dry_run_counts_unreachable_collections_and_the_erasure_and_is_audited()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await VerifiedRequestAsync(dpo);
        var plan = await Json(await dpo.GetAsync($"/api/requests/{id}/plan"));
        var steps = plan.GetProperty("steps").EnumerateArray().ToList();
        steps.Count.ShouldBe(11);
        var key = FidesExampleDatabase.DatasetKey;
        steps.ToDictionary(s => s.GetProperty("collection").GetString()!.Split(':')[1], s => s.GetProperty("rows").GetInt64())
            .ShouldBe(EngineFidesParityTests.ExpectedForCustomer1.ToDictionary(e => e.Key, e => (long)e.Value.Length), ignoreOrder: true);
        steps.First(s => s.GetProperty("collection").GetString() == $"{key}:customer").GetProperty("inputs")[0].GetString().ShouldBe("email = identity 'email'");
        plan.GetProperty("erasure").EnumerateArray().ShouldContain(e => e.GetProperty("collection").GetString() == $"{key}:customer" && e.GetProperty("action").GetString() == "Mask");
        plan.GetProperty("mismatches").GetArrayLength().ShouldBe(0);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.plan_shown"))).ShouldBe(1);

        // Without the email identity kind, the plan reports what it cannot reach and why.
        var byPhone = await Json(await dpo.PostAsJsonAsync("/api/requests", new { type = "access", identities = new { phone_number = "+15555550100" }, channel = "phone", identityChecked = "Known caller" }));
        var other = await Json(await dpo.GetAsync($"/api/requests/{byPhone.GetProperty("id").GetGuid()}/plan"));
        other.GetProperty("steps").GetArrayLength().ShouldBe(0);
        other.GetProperty("unreachable").EnumerateArray().Select(u => u.GetProperty("reason").GetString()).ShouldAllBe(r => !string.IsNullOrWhiteSpace(r));
        other.GetProperty("unreachable").GetArrayLength().ShouldBe(11);
    }

    [Fact]
    public async Task Issue5_point10_results_for_customer_1_are_the_collections_and_rows_Fides_returns()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await VerifiedRequestAsync(dpo);
        var run = await Json(await dpo.PostAsync($"/api/requests/{id}/run", null));
        run.GetProperty("succeeded").GetBoolean().ShouldBeTrue(run.ToString());
        run.GetProperty("state").GetString().ShouldBe("awaiting_approval", "packages are reviewed by default");

        var results = await Json(await dpo.GetAsync($"/api/requests/{id}/results"));
        results.EnumerateObject().Select(p => p.Name).ShouldBe(["collections"]);
        var collections = results.GetProperty("collections");
        collections.EnumerateObject().Select(p => p.Name).Order()
            .ShouldBe(EngineFidesParityTests.ExpectedForCustomer1.Keys.Select(k => $"{FidesExampleDatabase.DatasetKey}:{k}").Order());
        foreach (var (collection, rows) in EngineFidesParityTests.ExpectedForCustomer1)
        {
            collections.GetProperty($"{FidesExampleDatabase.DatasetKey}:{collection}").EnumerateArray().Select(Row).Order()
                .ShouldBe(rows.Select(r => Row(JsonDocument.Parse(r).RootElement)).Order(), collection);
        }
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.results_read"))).ShouldBe(1);
        // Stored encrypted: the rows are not in the database in clear.
        var stored = await App.WithDbAsync(db => db.Set<RequestAccessRecord>().SingleAsync());
        stored.ResultEncrypted!.ShouldNotContain("John Customer");
        stored.ResultEncrypted!.ShouldNotContain("Example Street");
        (await dpo.PostAsync($"/api/requests/{id}/run", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict, "a finished run is not repeated");
    }

    [Fact]
    public async Task DSR011_the_package_has_a_report_json_a_csv_per_table_the_register_information_and_the_consent_history()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var activity = await dpo.PostAsJsonAsync("/api/register/activities", new
        {
            name = "Online shop orders",
            status = "active",
            purposes = new[] { "essential.service" },
            dataSubjects = new[] { "customer" },
            dataCategories = new[] { "user.contact.email", "user.financial" },
            lawfulBasis = "contract",
            lawfulBasisDetail = "Our terms of sale",
            recipients = new[] { new { name = "Parcel Couriers Ltd", kind = "processor", country = "GB" } },
            retention = new { period = "P6Y", trigger = "the last order" },
            sources = new[] { "the customer" },
            datasets = new[] { FidesExampleDatabase.DatasetKey },
        });
        activity.IsSuccessStatusCode.ShouldBeTrue(await activity.Content.ReadAsStringAsync());
        var id = await VerifiedRequestAsync(dpo);
        await Json(await dpo.PostAsync($"/api/requests/{id}/run", null));

        var package = await dpo.GetAsync($"/api/requests/{id}/package");
        package.StatusCode.ShouldBe(HttpStatusCode.OK);
        package.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        var files = Unzip(await package.Content.ReadAsByteArrayAsync());
        files.Keys.ShouldContain("report.html");
        files.Keys.ShouldContain("data.json");
        files.Keys.ShouldContain("supplementary.json");
        files.Keys.ShouldContain("consent-history.json");
        files.Keys.Count(k => k.StartsWith("csv/", StringComparison.Ordinal)).ShouldBe(11);
        files[$"csv/{FidesExampleDatabase.DatasetKey}.customer.csv"].ShouldContain("John Customer");
        files["report.html"].ShouldContain("John Customer");
        files["report.html"].ShouldContain("Parcel Couriers Ltd");
        files["report.html"].ShouldContain("6 years from the last order");
        files["report.html"].ShouldContain("Information Commissioner");
        var supplementary = JsonDocument.Parse(files["supplementary.json"]).RootElement;
        supplementary.GetProperty("dataHeld").GetBoolean().ShouldBeTrue();
        var first = supplementary.GetProperty("activities")[0];
        first.GetProperty("purposes")[0].GetString().ShouldBe("essential.service");
        first.GetProperty("recipients")[0].GetProperty("name").GetString().ShouldBe("Parcel Couriers Ltd");
        supplementary.GetProperty("rights").GetArrayLength().ShouldBeGreaterThanOrEqualTo(4);
        JsonDocument.Parse(files["data.json"]).RootElement.GetProperty("collections").EnumerateObject().Count().ShouldBe(11);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.package_downloaded"))).ShouldBe(1);
    }

    [Fact]
    public async Task DSR026_an_identity_matching_nobody_gets_a_package_saying_we_hold_no_data()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await VerifiedRequestAsync(dpo, "nobody@example.com");
        var run = await Json(await dpo.PostAsync($"/api/requests/{id}/run", null));
        run.GetProperty("succeeded").GetBoolean().ShouldBeTrue();
        run.GetProperty("flags").GetArrayLength().ShouldBe(0);
        var files = Unzip(await (await dpo.GetAsync($"/api/requests/{id}/package")).Content.ReadAsByteArrayAsync());
        files["report.html"].ShouldContain("We hold no data about you");
        JsonDocument.Parse(files["supplementary.json"]).RootElement.GetProperty("dataHeld").GetBoolean().ShouldBeFalse();
        var view = await Json(await dpo.GetAsync($"/api/requests/{id}"));
        view.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("summary").GetString()).ShouldContain(s => s!.Contains("no data about the person was found"));
    }

    [Fact]
    public async Task DSR012_DSR013_release_waits_for_flags_then_the_download_needs_a_fresh_code_and_expires()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await VerifiedRequestAsync(dpo);
        var run = await Json(await dpo.PostAsync($"/api/requests/{id}/run", null));
        var flags = run.GetProperty("flags").EnumerateArray().ToList();
        flags.ShouldContain(f => f.GetProperty("collection").GetString() == $"{FidesExampleDatabase.DatasetKey}:address");

        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await staff.PostAsync($"/api/requests/{id}/release", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var blocked = await dpo.PostAsync($"/api/requests/{id}/release", null);
        blocked.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await blocked.Content.ReadAsStringAsync()).ShouldContain("DSR012");
        foreach (var flag in flags)
        {
            (await dpo.PostAsJsonAsync($"/api/requests/{id}/flags/resolve", new { flag = flag.GetProperty("id").GetString(), note = "Checked: the customer's own addresses." }))
                .StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        var released = await Json(await dpo.PostAsync($"/api/requests/{id}/release", null));
        released.GetProperty("state").GetString().ShouldBe("completed");
        var mail = (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.package_ready"))).Decrypted(App);
        mail.Body.ShouldContain($"/privacy/requests/{id}/download");
        mail.Body.ShouldNotContain("John Customer");

        // The link alone gives nothing: a code is e-mailed, and only the code gives the download.
        var person = App.Ui();
        (await person.GetAsync($"/privacy/requests/{id}/package")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await person.SubmitAsync($"/privacy/requests/{id}/download", "send-code", new Dictionary<string, string>())).StatusCode.ShouldBe(HttpStatusCode.OK);
        var code = await LatestCodeAsync($"portal.code.package:{id:N}");
        var verified = await person.SubmitAsync($"/privacy/requests/{id}/download", "verify-code", new Dictionary<string, string> { ["Code.Value"] = code });
        var page = await verified.Content.ReadAsStringAsync();
        var link = DownloadLink().Match(page);
        link.Success.ShouldBeTrue(page);
        var zip = await person.GetAsync(WebUtility.HtmlDecode(link.Groups[1].Value));
        zip.StatusCode.ShouldBe(HttpStatusCode.OK);
        Unzip(await zip.Content.ReadAsByteArrayAsync())["report.html"].ShouldContain("John Customer");
        var replay = await person.SubmitAsync($"/privacy/requests/{id}/download", "verify-code", new Dictionary<string, string> { ["Code.Value"] = code });
        (await replay.Content.ReadAsStringAsync()).ShouldNotContain("/package?t=", customMessage: "a code works once");

        App.Time.Advance(TimeSpan.FromDays(8));
        var expired = await person.GetPageAsync($"/privacy/requests/{id}/download");
        expired.ShouldContain("expired");
        (await person.GetAsync(WebUtility.HtmlDecode(link.Groups[1].Value))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_job_runs_each_verified_request_once_and_holds_the_package_for_review_by_default()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await VerifiedRequestAsync(dpo, "nobody@example.com");
        var services = App.Services.CreateScope().ServiceProvider;
        // Review is on by default; the job runs verified requests by itself.
        (await services.GetRequiredService<RequestAccessService>().RunDueAsync()).ShouldBe(1);
        (await Json(await dpo.GetAsync($"/api/requests/{id}"))).GetProperty("state").GetString().ShouldBe("awaiting_approval");
        (await services.GetRequiredService<RequestAccessService>().RunDueAsync()).ShouldBe(0, "a finished run is not picked up again");
    }

    [Fact]
    public async Task DSR018_portability_is_refused_with_the_reason_where_the_basis_is_not_consent_or_contract()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var activity = await dpo.PostAsJsonAsync("/api/register/activities", new
        {
            name = "Anti-money-laundering checks",
            status = "active",
            purposes = new[] { "essential.service" },
            dataSubjects = new[] { "customer" },
            dataCategories = new[] { "user.financial" },
            lawfulBasis = "legalObligation",
            lawfulBasisDetail = "Money Laundering Regulations 2017",
            retention = new { period = "P5Y", trigger = "the end of the customer relationship" },
            datasets = new[] { FidesExampleDatabase.DatasetKey },
        });
        activity.StatusCode.ShouldBe(HttpStatusCode.Created, await activity.Content.ReadAsStringAsync());
        var id = await VerifiedRequestAsync(dpo, type: "portability");
        var run = await Json(await dpo.PostAsync($"/api/requests/{id}/run", null));
        run.GetProperty("state").GetString().ShouldBe("rejected");
        var view = await Json(await dpo.GetAsync($"/api/requests/{id}"));
        view.GetProperty("refusalGround").GetString().ShouldBe("portability_not_applicable");
        var letter = (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.refusal"))).Decrypted(App);
        letter.Body.ShouldContain("legalObligation");
        letter.Body.ShouldContain("Information Commissioner");
    }

    [Fact]
    public async Task A_database_that_cannot_be_read_pauses_the_request_with_a_clear_error_and_a_later_try_succeeds()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var good = shop.ConnectionString;
        var broken = Provider == StorageProvider.Postgres
            ? new Npgsql.NpgsqlConnectionStringBuilder(good) { Database = "dataward_dropped_" + Guid.NewGuid().ToString("N")[..8] }.ConnectionString
            : $"Data Source={Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "shop.db")};Mode=ReadWrite";
        (await dpo.PostAsJsonAsync("/api/connections", new { key = "shop", kind = Provider == StorageProvider.Postgres ? "postgres" : "sqlite", connectionString = broken, datasets = new[] { FidesExampleDatabase.DatasetKey } }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = await VerifiedRequestAsync(dpo);
        var access = App.Services.CreateScope().ServiceProvider.GetRequiredService<RequestAccessService>();
        (await access.RunDueAsync()).ShouldBe(0);
        var view = await Json(await dpo.GetAsync($"/api/requests/{id}"));
        view.GetProperty("state").GetString().ShouldBe("in_progress", "paused, not failed");
        view.GetProperty("run").GetProperty("status").GetString().ShouldBe("paused");
        view.GetProperty("run").GetProperty("lastError").GetString()!.ShouldContain("could not be read");
        var failure = view.GetProperty("timeline").EnumerateArray().Last(e => e.GetProperty("kind").GetString() == "run_failed").GetProperty("summary").GetString()!;
        failure.ShouldContain("could not be read");
        failure.ShouldContain("tried again");
        failure.ShouldNotContain("Password");
        var status = await Json(await dpo.GetAsync($"/api/requests/{id}/access-run"));
        status.GetProperty("succeeded").GetBoolean().ShouldBeFalse();
        status.GetProperty("error").GetString().ShouldNotBeNullOrEmpty();

        // The connection comes back; too soon, nothing happens; after the wait the job finishes the request.
        (await dpo.PostAsJsonAsync("/api/connections", new { key = "shop", kind = Provider == StorageProvider.Postgres ? "postgres" : "sqlite", connectionString = good, datasets = new[] { FidesExampleDatabase.DatasetKey } }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await access.RunDueAsync()).ShouldBe(0);
        App.Time.Advance(TimeSpan.FromMinutes(6));
        (await access.RunDueAsync()).ShouldBe(1);
        var done = await Json(await dpo.GetAsync($"/api/requests/{id}/access-run"));
        done.GetProperty("succeeded").GetBoolean().ShouldBeTrue(done.ToString());
        done.GetProperty("state").GetString().ShouldBe("awaiting_approval");
        done.GetProperty("rows").GetProperty($"{FidesExampleDatabase.DatasetKey}:customer").GetInt64().ShouldBe(1);
    }

    [Fact]
    public async Task Privacy_centre_a_person_asks_for_their_data_confirms_the_code_and_sees_only_the_reference_and_due_date()
    {
        var person = App.Ui();
        var intake = await person.GetPageAsync("/privacy/requests");
        intake.ShouldContain("portability");
        intake.ShouldContain("<label");
        (await person.GetPageAsync("/privacy")).ShouldContain("/privacy/requests");
        var bad = await person.SubmitAsync("/privacy/requests", "request", new Dictionary<string, string> { ["Input.Type"] = "access", ["Input.Email"] = "not-an-address" });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var sent = await person.SubmitAsync("/privacy/requests", "request", new Dictionary<string, string> { ["Input.Type"] = "access", ["Input.Email"] = "ana@example.com", ["Input.Details"] = "Everything please" });
        sent.StatusCode.ShouldBe(HttpStatusCode.OK, await sent.Content.ReadAsStringAsync());
        var request = await App.WithDbAsync(db => db.Set<SubjectRequest>().SingleAsync());
        request.Channel.ShouldBe("web");
        var page = await person.GetPageAsync($"/privacy/requests/{request.Id}");
        page.ShouldNotContain(request.Reference, customMessage: "nothing is shown before the code (DSR006)");
        var code = await LatestCodeAsync("portal.code.request:");
        var verified = await person.SubmitAsync($"/privacy/requests/{request.Id}", "verify", new Dictionary<string, string> { ["Code.Value"] = code });
        var html = await verified.Content.ReadAsStringAsync();
        verified.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        html.ShouldContain(request.Reference);
        html.ShouldContain("2026");
        (await App.WithDbAsync(db => db.Set<SubjectRequest>().SingleAsync())).State.ShouldBe("verified");
        // An unknown request looks exactly like a real one before the code.
        (await person.GetPageAsync($"/privacy/requests/{Guid.NewGuid()}")).ShouldContain("code");
    }

    [Fact]
    public async Task Staff_run_review_resolve_and_release_from_the_request_page()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await VerifiedRequestAsync(dpo);
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        (await ui.GetPageAsync($"/requests/{id}")).ShouldContain("Not run yet");
        var plan = await ui.GetPageAsync($"/requests/{id}/plan");
        plan.ShouldContain($"{FidesExampleDatabase.DatasetKey}:customer");
        plan.ShouldContain("email = identity &#x27;email&#x27;");
        var run = await (await ui.SubmitAsync($"/requests/{id}", "run", new Dictionary<string, string>())).Content.ReadAsStringAsync();
        run.ShouldContain("What the run found: 21 rows");
        run.ShouldContain("Third-party data to check");
        var status = await Json(await dpo.GetAsync($"/api/requests/{id}/access-run"));
        foreach (var flag in status.GetProperty("flags").EnumerateArray())
        {
            var resolved = await ui.SubmitAsync($"/requests/{id}", $"resolve-{flag.GetProperty("id").GetString()}", new Dictionary<string, string> { ["Note"] = "Customer's own address" });
            resolved.StatusCode.ShouldBe(HttpStatusCode.OK, await resolved.Content.ReadAsStringAsync());
        }
        var released = await (await ui.SubmitAsync($"/requests/{id}", "release", new Dictionary<string, string>())).Content.ReadAsStringAsync();
        released.ShouldContain("Released");
        (await Json(await dpo.GetAsync($"/api/requests/{id}"))).GetProperty("state").GetString().ShouldBe("completed");
    }

    [Fact]
    public async Task CLI_requests_plan_and_run_use_the_same_services_with_exit_codes()
    {
        var (dpo, shop) = await ShopAsync();
        await using var _ = shop;
        var id = await VerifiedRequestAsync(dpo);
        var plan = await DatawardProcess.RunAsync(App.Database.Environment, null, "requests", "plan", id.ToString());
        plan.ExitCode.ShouldBe(0, plan.Stderr);
        plan.Stdout.ShouldContain($"{FidesExampleDatabase.DatasetKey}:customer  rows: 1");
        var run = await DatawardProcess.RunAsync(App.Database.Environment, null, "requests", "run", id.ToString());
        run.ExitCode.ShouldBe(0, run.Stderr);
        run.Stdout.ShouldContain("awaiting_approval; 21 rows");
        (await DatawardProcess.RunAsync(App.Database.Environment, null, "requests", "run", id.ToString())).ExitCode.ShouldBe(2, "already run");
        var bad = await DatawardProcess.RunAsync(App.Database.Environment, null, "requests", "plan", "not-a-guid");
        bad.ExitCode.ShouldBe(2);
        bad.Stderr.ShouldContain("not a request id");
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex Code();

    [GeneratedRegex("href=\"([^\"]*/package\\?t=[^\"]+)\"")]
    private static partial Regex DownloadLink();
}
