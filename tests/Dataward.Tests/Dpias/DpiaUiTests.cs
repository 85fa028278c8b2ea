using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;

namespace Dataward.Tests.Dpias;

/// <summary>The DPIA pages driven as a browser without JavaScript would: the prior consultation's clock on the DPIA
/// page, the hold on the register's activity page, and forms a role may not use.</summary>
public sealed class DpiaUiTests() : AppTest(StorageProvider.Sqlite)
{
    private DateTimeOffset Now => App.Time.GetUtcNow();

    /// <summary>An activity and a DPIA whose residual high risk the DPO accepted at sign-off (through the API).</summary>
    private async Task<(Guid ActivityId, Guid DpiaId)> SignedOffWithHighResidualRiskAsync()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var activity = await dpo.PostAsync("/api/register/activities", new StringContent("""
            {"name": "Store CCTV", "status": "draft", "purposes": ["essential.service"], "dataSubjects": ["customer"],
             "dataCategories": ["user.name"], "lawfulBasis": "contract", "lawfulBasisDetail": "Store terms",
             "retention": {"period": "P30D", "trigger": "recording"}}
            """, Encoding.UTF8, "application/json"));
        activity.StatusCode.ShouldBe(HttpStatusCode.Created, await activity.Content.ReadAsStringAsync());
        var activityId = (await activity.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var created = await dpo.PostAsJsonAsync("/api/dpias", new
        {
            activityId,
            description = new { nature = "Cameras record the shop floor.", purposes = "Prevent theft." },
            necessityAndProportionality = new { necessity = "Theft is frequent; guards alone did not stop it." },
            risks = new[]
            {
                new { description = "Footage of customers is misused.", likelihood = "probable", severity = "severe", measures = new[] { "Access log" },
                    effect = "reduced", residualLikelihood = "possible", residualSeverity = "severe" },
            },
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Consult the ICO." })).EnsureSuccessStatusCode();
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/sign-off", new
        {
            adviceAccepted = true,
            measuresApprovedBy = "Store manager",
            residualRisksApprovedBy = "Director",
            keptUnderReviewBy = "DPO",
            nextReviewAt = Now.AddYears(1),
            acceptHighResidualRisk = true,
        })).EnsureSuccessStatusCode();
        return (activityId, id);
    }

    [Fact]
    public async Task ACC013_the_prior_consultation_is_recorded_on_the_dpia_page_with_its_clock_and_the_activity_page_shows_the_hold()
    {
        var (activityId, id) = await SignedOffWithHighResidualRiskAsync();
        await App.CreateUserAsync("admin@example.org", StaffRoles.Administrator);
        var ui = App.Ui();
        await ui.SignInAsync("admin@example.org");
        var page = await ui.GetPageAsync($"/dpias/{id}");
        page.ShouldContain("Processing on hold.");
        page.ShouldContain("consultation to request");
        (await ui.GetPageAsync($"/register/{activityId}")).ShouldContain("A prior consultation with the ICO is open");

        var submitted = await ui.SubmitAsync($"/dpias/{id}", "submission", new Dictionary<string, string> { ["Consult.Reference"] = "ICO-PC-9" });
        submitted.StatusCode.ShouldBe(HttpStatusCode.OK);
        var clock = await submitted.Content.ReadAsStringAsync();
        clock.ShouldContain("56 days left (due 2027-01-20 09:00 UTC)");
        clock.ShouldContain("reference ICO-PC-9");

        var refused = await ui.SubmitAsync($"/dpias/{id}", "extension", new Dictionary<string, string> { ["Consult.Reason"] = "" });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("(ACC013)");

        App.Time.Advance(TimeSpan.FromDays(10));
        await ui.SignInAsync("admin@example.org"); // the session lasts eight hours
        var extended = await ui.SubmitAsync($"/dpias/{id}", "extension", new Dictionary<string, string> { ["Consult.Reason"] = "The ICO consults its technology team." });
        (await extended.Content.ReadAsStringAsync()).ShouldContain("88 days left (due 2027-03-03 09:00 UTC)");

        var advised = await ui.SubmitAsync($"/dpias/{id}", "ico-advice", new Dictionary<string, string>
        {
            ["Consult.Outcome"] = "proceed",
            ["Consult.Reason"] = "Proceed with the access log reviewed monthly.",
        });
        var done = await advised.Content.ReadAsStringAsync();
        done.ShouldContain("The ICO&#x27;s advice is recorded.");
        done.ShouldNotContain("Processing on hold.");
        (await ui.GetPageAsync($"/register/{activityId}")).ShouldNotContain("Processing on hold.");
    }

    [Fact]
    public async Task A_forged_dpo_advice_post_from_staff_changes_nothing()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var activity = await dpo.PostAsync("/api/register/activities", new StringContent("""
            {"name": "Newsletter", "status": "draft", "purposes": ["essential.service"], "dataSubjects": ["customer"],
             "dataCategories": ["user.contact.email"], "lawfulBasis": "contract", "lawfulBasisDetail": "Terms",
             "retention": {"period": "P1Y", "trigger": "unsubscribed"}}
            """, Encoding.UTF8, "application/json"));
        var activityId = (await activity.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var id = (await (await dpo.PostAsJsonAsync("/api/dpias", new { activityId })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var page = await ui.GetPageAsync($"/dpias/{id}");
        page.ShouldContain("Save sections");
        page.ShouldNotContain(">Sign off</button>");
        page.ShouldNotContain("Record the DPO&#x27;s advice");

        var forged = await ui.SubmitAsync($"/dpias/{id}", "advice", new Dictionary<string, string> { ["Advice.Advice"] = "Looks fine to me." });
        ((int)forged.StatusCode).ShouldBeGreaterThanOrEqualTo(400);
        var view = await dpo.GetFromJsonAsync<JsonElement>($"/api/dpias/{id}");
        view.GetProperty("dpoAdvice").ValueKind.ShouldBe(JsonValueKind.Null);
        view.GetProperty("version").GetInt32().ShouldBe(1);
    }
}
