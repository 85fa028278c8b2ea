using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Audit;
using Dataward.Domain.Audit;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Audit;

public sealed class AuditTrailTests_Sqlite() : AuditTrailTests(StorageProvider.Sqlite);

public sealed class AuditTrailTests_Postgres() : AuditTrailTests(StorageProvider.Postgres);

/// <summary>The hash-chained trail: every security event lands in it, any tampering is found and named.</summary>
public abstract class AuditTrailTests(StorageProvider provider) : AppTest(provider)
{
    private async Task SeedAsync(int count)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var trail = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        for (var i = 0; i < count; i++)
        {
            await trail.RecordAsync(AuditActor.System, "test.event", $"thing:{i}", new() { ["n"] = i });
            // Sub-millisecond times, as a real clock gives: the stored instant must hash as the recorded one.
            App.Time.Advance(TimeSpan.FromTicks(12_345_678));
        }
    }

    /// <summary>What an attacker with database access would do: switch off the append-only triggers, then write.</summary>
    private async Task TamperAsync(string sql) => await App.WithDbAsync(async db =>
    {
        if (Provider == StorageProvider.Postgres)
        {
            await db.Database.ExecuteSqlRawAsync("ALTER TABLE audit_entries DISABLE TRIGGER USER");
        }
        else
        {
            await db.Database.ExecuteSqlRawAsync("DROP TRIGGER IF EXISTS audit_entries_no_update; DROP TRIGGER IF EXISTS audit_entries_no_delete;");
        }
        // Raw ADO: the tampering SQL holds JSON braces that EF would read as format placeholders.
        await db.Database.OpenConnectionAsync();
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    });

    private async Task<AuditVerificationResponse> VerifyOverHttpAsync()
    {
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        return (await auditor.GetFromJsonAsync<AuditVerificationResponse>("/api/audit/verify"))!;
    }

    [Fact]
    public async Task An_intact_trail_verifies_with_its_count()
    {
        await SeedAsync(5);
        var result = await VerifyOverHttpAsync();
        result.Intact.ShouldBeTrue();
        result.Count.ShouldBe(6); // five events and the auditor token's creation
        var cli = await DatawardProcess.RunAsync(App.Database.Environment, null, "audit", "verify");
        cli.ExitCode.ShouldBe(0, cli.Stderr);
        cli.Stdout.ShouldContain("intact: 6 entries");
    }

    [Fact]
    public async Task An_edited_entry_is_found_and_named()
    {
        await SeedAsync(5);
        await TamperAsync("UPDATE audit_entries SET details = '{\"n\":99}' WHERE sequence = 3");
        var result = await VerifyOverHttpAsync();
        result.Intact.ShouldBeFalse();
        result.FirstBrokenSequence.ShouldBe(3);
        result.Reason!.ShouldContain("edited");

        var cli = await DatawardProcess.RunAsync(App.Database.Environment, null, "audit", "verify");
        cli.ExitCode.ShouldBe(1);
        cli.Stderr.ShouldContain("BROKEN at entry 3");
    }

    [Fact]
    public async Task A_deleted_entry_is_found_and_named()
    {
        await SeedAsync(5);
        await TamperAsync("DELETE FROM audit_entries WHERE sequence = 2");
        var result = await VerifyOverHttpAsync();
        result.Intact.ShouldBeFalse();
        result.FirstBrokenSequence.ShouldBe(2);
        result.Reason!.ShouldContain("missing");
        var cli = await DatawardProcess.RunAsync(App.Database.Environment, null, "audit", "verify");
        cli.ExitCode.ShouldBe(1);
        cli.Stderr.ShouldContain("entry 2");
    }

    [Fact]
    public async Task Reordered_entries_are_found_and_named()
    {
        await SeedAsync(5);
        await TamperAsync("UPDATE audit_entries SET sequence = -2 WHERE sequence = 2");
        await TamperAsync("UPDATE audit_entries SET sequence = 2 WHERE sequence = 4");
        await TamperAsync("UPDATE audit_entries SET sequence = 4 WHERE sequence = -2");
        var result = await VerifyOverHttpAsync();
        result.Intact.ShouldBeFalse();
        result.FirstBrokenSequence.ShouldBe(2);
        var cli = await DatawardProcess.RunAsync(App.Database.Environment, null, "audit", "verify");
        cli.ExitCode.ShouldBe(1);
        cli.Stderr.ShouldContain("entry 2");
    }

    [Fact]
    public async Task The_database_refuses_updates_and_deletes_of_entries()
    {
        await SeedAsync(2);
        await Should.ThrowAsync<Exception>(() => App.WithDbAsync(db =>
            db.Database.ExecuteSqlRawAsync("UPDATE audit_entries SET action = 'forged' WHERE sequence = 1")));
        await Should.ThrowAsync<Exception>(() => App.WithDbAsync(db =>
            db.Database.ExecuteSqlRawAsync("DELETE FROM audit_entries WHERE sequence = 1")));
        if (Provider == StorageProvider.Postgres)
        {
            await Should.ThrowAsync<Exception>(() => App.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("TRUNCATE audit_entries")));
        }
        (await VerifyOverHttpAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task The_code_refuses_to_change_or_remove_an_entry()
    {
        await SeedAsync(1);
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DatawardDbContext>();
        var entry = await db.AuditEntries.FirstAsync();
        db.AuditEntries.Remove(entry);
        var error = await Should.ThrowAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        error.Message.ShouldContain("append-only");
    }

    [Fact]
    public async Task Concurrent_writers_keep_one_unbroken_chain()
    {
        var writers = Enumerable.Range(0, 4).Select(async w =>
        {
            await using var scope = App.Services.CreateAsyncScope();
            var trail = scope.ServiceProvider.GetRequiredService<AuditTrail>();
            for (var i = 0; i < 10; i++)
            {
                await trail.RecordAsync(AuditActor.System, "test.concurrent", $"writer:{w}");
            }
        });
        await Task.WhenAll(writers);
        var result = await VerifyOverHttpAsync();
        result.Intact.ShouldBeTrue();
        result.Count.ShouldBe(41);
    }

    [Fact]
    public async Task Entries_can_be_browsed_filtered_and_exported_as_csv()
    {
        await SeedAsync(3);
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        var page = await auditor.GetFromJsonAsync<JsonElement>("/api/audit?action=test.&pageSize=2");
        page.GetProperty("total").GetInt32().ShouldBe(3);
        page.GetProperty("items").GetArrayLength().ShouldBe(2);
        page.GetProperty("items")[0].GetProperty("target").GetString().ShouldBe("thing:2");

        var csv = await auditor.GetAsync("/api/audit/export.csv?target=thing:1");
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var lines = (await csv.Content.ReadAsStringAsync()).Trim().Split('\n');
        lines[0].Trim().ShouldBe("sequence,time,actor,action,target,details,previous_hash,hash");
        lines.Length.ShouldBe(2);
        lines[1].ShouldContain("thing:1");
        lines[1].ShouldContain("\"{\"\"n\"\":1}\"");

        var bad = await auditor.GetAsync("/api/audit?pageSize=100000");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var wrongType = await auditor.GetAsync("/api/audit?from=yesterday");
        wrongType.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await wrongType.Content.ReadAsStringAsync()).ShouldContain("from");
    }

    [Fact]
    public async Task Auditors_browse_the_trail_in_the_ui_and_see_a_broken_chain_flagged()
    {
        await App.CreateUserAsync("auditor@example.org", StaffRoles.Auditor);
        await SeedAsync(2);
        var ui = App.Ui();
        await ui.SignInAsync("auditor@example.org");
        var page = await ui.GetPageAsync("/audit?action=auth.");
        page.ShouldContain("Hash chain intact");
        page.ShouldContain("auth.sign_in");
        page.ShouldContain(">auditor@example.org<", customMessage: "references are shown as the names staff know");
        page.ShouldNotContain("test.event");
        (await ui.GetPageAsync("/audit")).ShouldContain("test.event");

        await TamperAsync("UPDATE audit_entries SET actor = 'user:someone-else' WHERE sequence = 2");
        (await ui.GetPageAsync("/audit")).ShouldContain("BROKEN at entry 2");
        var export = await ui.GetAsync("/api/audit/export.csv");
        export.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
