using System.Net;
using System.Net.Http.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Retention;
using Dataward.Tests.Connections;
using Dataward.Tests.Connectors;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Retention;

/// <summary>The retention pages, driven as a browser without JavaScript would: the schedule's form, the dry run shown
/// before a rule can be applied (MIN002), the review sign-off, the sweep history chart and legal holds.</summary>
public sealed class RetentionUiTests() : AppTest(StorageProvider.Sqlite)
{
    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?> { ["Retention:BatchesPerSecond"] = "0" };

    private static readonly Dictionary<string, string> None = [];

    private static Dictionary<string, string> RuleForm(string period = "P2Y") => new()
    {
        ["Form.Name"] = "Logins",
        ["Form.Dataset"] = FidesExampleDatabase.DatasetKey,
        ["Form.Collection"] = "login",
        ["Form.TriggerField"] = "time",
        ["Form.Period"] = period,
        ["Form.Action"] = "erase",
        ["Form.Reason"] = "Business need: sign-in history for disputes",
        ["Form.Schedule"] = "",
    };

    [Fact]
    public async Task MIN002_MIN006_the_dpo_writes_a_rule_sees_its_dry_run_before_the_apply_button_applies_it_and_signs_off_its_review()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        var (_, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        (await ui.GetPageAsync("/")).ShouldContain("href=\"/retention\"");

        var refused = await ui.SubmitAsync("/retention/new", "rule", RuleForm(period: "P0D"));
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var form = await refused.Content.ReadAsStringAsync();
        form.ShouldContain("(MIN001)");
        form.ShouldContain("value=\"Logins\"", customMessage: "what the person typed is kept");

        var saved = await ui.SubmitAsync("/retention/new", "rule", RuleForm());
        saved.StatusCode.ShouldBe(HttpStatusCode.Redirect, await saved.Content.ReadAsStringAsync());
        var path = saved.Headers.Location!.OriginalString;
        var rulePage = await ui.GetPageAsync(path);
        rulePage.ShouldContain("Saved as version 1");
        rulePage.ShouldContain("has not had a dry run yet");
        rulePage.ShouldNotContain("Apply version 1 now");
        var rulePath = path.Split('?')[0];

        var dry = await (await ui.SubmitAsync(rulePath, "dry-run", None)).Content.ReadAsStringAsync();
        dry.ShouldContain("Dry run complete: nothing was changed.");
        System.Text.RegularExpressions.Regex.IsMatch(dry, @"Would change</dt>\s*<dd>8</dd>").ShouldBeTrue("the dry run's count of rows it would change");
        dry.ShouldContain("Apply version 1 now");
        (await shop.DumpAsync())["login[1].time"].ShouldNotBe("null");

        var applied = await (await ui.SubmitAsync(rulePath, "apply", None)).Content.ReadAsStringAsync();
        applied.ShouldContain("Applied: 8 row(s) changed.");
        (await shop.DumpAsync())["login[1].time"].ShouldBe("null");

        var reviewed = await (await ui.SubmitAsync(rulePath, "review", new Dictionary<string, string> { ["Review.Notes"] = "Still needed" })).Content.ReadAsStringAsync();
        reviewed.ShouldContain("Review signed off");
        reviewed.ShouldContain("dpo@example.org");

        var history = await ui.GetPageAsync("/retention/sweeps");
        history.ShouldContain("<svg");
        history.ShouldContain("Logins: 8 rows");
        (await ui.GetPageAsync("/retention/print")).ShouldContain("Business need: sign-in history for disputes");
        (await ui.GetPageAsync("/retention/erasures")).ShouldContain("masked");
        (await ui.GetPageAsync("/retention")).ShouldContain("P2Y from <code>time</code>");
    }

    [Fact]
    public async Task Legal_holds_are_placed_and_released_in_the_page_without_showing_the_identity_and_staff_cannot_apply()
    {
        await App.CreateUserAsync("dpo@example.org", StaffRoles.DataProtectionOfficer);
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("dpo@example.org");
        var placed = await (await ui.SubmitAsync("/retention/holds", "place", new Dictionary<string, string>
        {
            ["Input.IdentityKind"] = "email",
            ["Input.Identity"] = "jane@example.com",
            ["Input.Reason"] = "Tribunal claim",
            ["Input.MatterRef"] = "ET-7",
            ["Input.Until"] = "",
        })).Content.ReadAsStringAsync();
        placed.ShouldContain("Hold placed");
        placed.ShouldContain("ET-7");
        placed.ShouldNotContain("jane@example.com");
        var hold = await App.WithDbAsync(db => db.Set<LegalHold>().SingleAsync());
        hold.IdentityEncrypted.ShouldNotContain("jane");
        (await (await ui.SubmitAsync("/retention/holds", $"release-{hold.Id}", None)).Content.ReadAsStringAsync()).ShouldContain("Hold released");

        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var id = (await (await dpo.PostAsync("/api/retention/rules", JsonContent.Create(RetentionScheduleTests.LoginRule())))
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
        var staff = App.Ui();
        await staff.SignInAsync("staff@example.org");
        var page = await (await staff.SubmitAsync($"/retention/{id}", "dry-run", None)).Content.ReadAsStringAsync();
        page.ShouldContain("Dry run complete");
        page.ShouldNotContain("Apply version 1 now");
        var forged = await staff.SubmitAsync($"/retention/{id}", "apply", None);
        // The page has no apply form for staff, so a forged one is refused before any handler runs.
        forged.IsSuccessStatusCode.ShouldBeFalse();
        (await shop.DumpAsync())["login[1].time"].ShouldNotBe("null");
        (await staff.SubmitAsync("/retention/holds", "place", new Dictionary<string, string> { ["Input.Identity"] = "x@example.com", ["Input.Reason"] = "r" }))
            .IsSuccessStatusCode.ShouldBeFalse();
        (await App.WithDbAsync(db => db.Set<LegalHold>().CountAsync())).ShouldBe(1);
    }
}
