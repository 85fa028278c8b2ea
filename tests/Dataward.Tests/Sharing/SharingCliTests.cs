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

public sealed class SharingCliTests_Sqlite() : SharingCliTests(StorageProvider.Sqlite);

public sealed class SharingCliTests_Postgres() : SharingCliTests(StorageProvider.Postgres);

/// <summary><c>dataward share export</c> as an operator runs it, and the recipients, agreements and export log pages.</summary>
public abstract class SharingCliTests(StorageProvider provider) : AppTest(provider)
{
    [Fact]
    public async Task Share_export_writes_only_the_agreed_fields_to_the_chosen_file_and_logs_its_SHA256_MIN018_MIN022()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(new { email = "pseudonymise", country = "asIs", birth_date = "generalise" });
        var folder = Directory.CreateTempSubdirectory("dataward-share-").FullName;
        var file = Path.Combine(folder, "acme.csv");

        var result = await DatawardProcess.RunAsync(App.Database.Environment, null, "share", "export", reference, "--out", file);
        result.ExitCode.ShouldBe(0, result.Stderr);
        var bytes = await File.ReadAllBytesAsync(file);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        result.Stdout.ShouldContain($"Exported 12 record(s) under {reference}");
        result.Stdout.ShouldContain(sha);
        var rows = Csv(System.Text.Encoding.UTF8.GetString(bytes));
        rows[0].ShouldBe(["email", "country", "birth_date"]);
        rows[1][0].ShouldStartWith($"pd:sharing.{reference.ToLowerInvariant()}:1:");
        rows[1][2].ShouldBe("1984");
        Directory.GetFiles(folder).ShouldBe([file]);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var entry = (await s.Dpo.GetFromJsonAsync<JsonElement>("/api/sharing/exports")).EnumerateArray().Single();
        entry.GetProperty("actor").GetString().ShouldBe("cli");
        entry.GetProperty("sha256").GetString().ShouldBe(sha);
        entry.GetProperty("destination").GetString().ShouldBe("acme.csv");
        entry.GetProperty("records").GetInt64().ShouldBe(12);

        var json = Path.Combine(folder, "acme.json");
        var subset = await DatawardProcess.RunAsync(App.Database.Environment, null, "share", "export", reference, "--out", json, "--fields", "country");
        subset.ExitCode.ShouldBe(0, subset.Stderr);
        JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty("records")[0].EnumerateObject().Select(p => p.Name).ShouldBe(["country"]);
    }

    [Fact]
    public async Task Share_export_refuses_a_field_outside_the_agreement_an_existing_file_or_an_inactive_agreement_and_leaves_no_file()
    {
        await using var s = await StartAsync(App);
        var reference = await s.ActiveAgreementAsync(new { country = "asIs" });
        var folder = Directory.CreateTempSubdirectory("dataward-share-").FullName;
        var file = Path.Combine(folder, "out.csv");

        var outside = await DatawardProcess.RunAsync(App.Database.Environment, null, "share", "export", reference, "--out", file, "--fields", "country,email");
        outside.ExitCode.ShouldBe(2);
        outside.Stderr.ShouldContain(reference);
        outside.Stderr.ShouldContain("MIN018");
        Directory.GetFiles(folder).ShouldBeEmpty();

        var draft = await s.PostAsync("/api/sharing/agreements", """{"recipient":"Acme Analytics","activity":"Partner analytics","collection":"crm:users","fields":{"country":"asIs"}}""");
        var inactive = await DatawardProcess.RunAsync(App.Database.Environment, null, "share", "export", draft.GetProperty("reference").GetString()!, "--out", file);
        inactive.ExitCode.ShouldBe(2);
        inactive.Stderr.ShouldContain("MIN019");
        Directory.GetFiles(folder).ShouldBeEmpty();

        await File.WriteAllTextAsync(file, "keep me");
        var exists = await DatawardProcess.RunAsync(App.Database.Environment, null, "share", "export", reference, "--out", file);
        exists.ExitCode.ShouldBe(2);
        (await File.ReadAllTextAsync(file)).ShouldBe("keep me");
        (await App.WithDbAsync(db => db.Set<Dataward.Sharing.ExportRecord>().CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task The_DPO_registers_a_recipient_and_drafts_an_agreement_in_the_UI_and_sees_the_export_log()
    {
        await using var s = await StartAsync(App);
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");

        var registered = await ui.SubmitAsync("/recipients", "new-recipient", new Dictionary<string, string>
        {
            ["Input.Name"] = "Post Office Ltd",
            ["Input.Role"] = "controller",
            ["Input.Countries"] = "gb",
            ["Input.TransferSafeguard"] = "none",
            ["Input.ReviewDue"] = "2027-11-25",
        });
        registered.StatusCode.ShouldBe(HttpStatusCode.Redirect, await registered.Content.ReadAsStringAsync());
        var detail = await ui.GetPageAsync(registered.Headers.Location!.OriginalString);
        detail.ShouldContain("Post Office Ltd");
        detail.ShouldContain("No register activity names it");

        var refused = await ui.SubmitAsync("/recipients", "new-recipient", new Dictionary<string, string> { ["Input.Name"] = "X", ["Input.Role"] = "vendor" });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("role");

        var drafted = await ui.SubmitAsync("/sharing", "new-agreement", new Dictionary<string, string>
        {
            ["Input.Recipient"] = s.RecipientId.ToString(),
            ["Input.Activity"] = s.ActivityId.ToString(),
            ["Input.Collection"] = "crm:users",
            ["Input.Fields"] = "email=pseudonymise\ncountry=asIs",
            ["Input.Status"] = "active",
            ["Input.ReviewDue"] = "2027-03-31",
        });
        drafted.StatusCode.ShouldBe(HttpStatusCode.Redirect, await drafted.Content.ReadAsStringAsync());
        drafted.Headers.Location!.OriginalString.ShouldEndWith("/sharing/DSA-2026-0001");
        (await ui.GetPageAsync("/sharing/DSA-2026-0001")).ShouldContain("Exports are allowed");

        (await s.Dpo.PostAsync("/api/sharing/DSA-2026-0001/exports", Json(new { }))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var sha = (await s.Dpo.GetFromJsonAsync<JsonElement>("/api/sharing/exports"))[0].GetProperty("sha256").GetString()!;
        var log = await ui.GetPageAsync("/sharing/exports");
        log.ShouldContain(sha);
        log.ShouldContain("email (pseudonymise)");
        (await ui.GetPageAsync("/sharing/DSA-2026-0001")).ShouldContain(sha);
        var list = await ui.GetPageAsync("/recipients");
        list.ShouldContain("Acme Analytics");
        list.ShouldContain("Partner analytics");
        (await ui.GetPageAsync("/pseudonymisation")).ShouldContain("sharing.dsa-2026-0001");

        var suspended = await ui.SubmitAsync("/sharing/DSA-2026-0001", "edit-agreement", new Dictionary<string, string>
        {
            ["Input.Recipient"] = s.RecipientId.ToString(),
            ["Input.Activity"] = s.ActivityId.ToString(),
            ["Input.Collection"] = "crm:users",
            ["Input.Fields"] = "email=pseudonymise\ncountry=asIs",
            ["Input.Status"] = "suspended",
            ["Input.ReviewDue"] = "2027-03-31",
        });
        suspended.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await suspended.Content.ReadAsStringAsync()).ShouldContain("MIN019");
    }
}
