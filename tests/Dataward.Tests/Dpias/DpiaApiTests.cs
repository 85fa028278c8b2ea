using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dataward.Dpias;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Dpias;

public sealed class DpiaApiTests_Sqlite() : DpiaApiTests(StorageProvider.Sqlite);

public sealed class DpiaApiTests_Postgres() : DpiaApiTests(StorageProvider.Postgres);

/// <summary>DPIAs through the API: screening a register activity and the register showing it (ACC011), the assessment
/// with risks on the fixed matrix, the DPO's advice and the sign-off (ACC012), the prior consultation with its clock and
/// the processing held until the ICO advises (ACC013).</summary>
public abstract class DpiaApiTests(StorageProvider provider) : AppTest(provider)
{
    // The fake clock starts at 2026-11-25 09:00 UTC; the organisation's time zone is Europe/London (GMT in winter).
    private DateTimeOffset Now => App.Time.GetUtcNow();

    private const string Activity = """
        {"name": "Loyalty scoring", "status": "draft", "purposes": ["marketing.advertising"],
         "dataSubjects": ["customer"], "dataCategories": ["user.contact.email", "user.name"],
         "lawfulBasis": "contract", "lawfulBasisDetail": "Loyalty scheme terms",
         "retention": {"period": "P2Y", "trigger": "membership ended"}}
        """;

    private async Task<(HttpClient Dpo, Guid ActivityId)> ActivityAsync()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var response = await dpo.PostAsync("/api/register/activities", new StringContent(Activity, Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (dpo, (await Json(response)).GetProperty("id").GetGuid());
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static async Task<JsonElement> Status(HttpResponseMessage response, HttpStatusCode status)
    {
        response.StatusCode.ShouldBe(status, await response.Content.ReadAsStringAsync());
        return await Json(response);
    }

    private static Task<JsonElement> Ok(HttpResponseMessage response) => Status(response, HttpStatusCode.OK);

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status, string field, string? ruleId = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(text);
        if (ruleId is not null)
        {
            problem.GetProperty("ruleId").GetString().ShouldBe(ruleId, text);
        }
        return problem;
    }

    /// <summary>A DPIA with every Art. 35(7) item written and one risk rated before and after its measures.</summary>
    private async Task<Guid> WrittenDpiaAsync(HttpClient client, Guid activityId, string residualLikelihood = "remote", string residualSeverity = "significant")
    {
        var created = await Status(await client.PostAsJsonAsync("/api/dpias", new
        {
            activityId,
            need = "Customers are scored on their purchases to decide loyalty tiers.",
            description = new { nature = "Purchases are scored nightly.", scope = "120,000 customers, two years of purchases.", purposes = "Reward frequent customers." },
            necessityAndProportionality = new { lawfulBasis = "Contract: the loyalty terms.", necessity = "Tiers cannot be set without the purchase history." },
            risks = new[]
            {
                new
                {
                    description = "Customers are wrongly put in a lower tier and lose benefits.",
                    likelihood = "possible",
                    severity = "significant",
                    measures = new[] { "Customers can ask for a human review of their tier." },
                    effect = "reduced",
                    residualLikelihood,
                    residualSeverity,
                    measuresApproved = true,
                },
            },
        }), HttpStatusCode.Created);
        return created.GetProperty("id").GetGuid();
    }

    private object SignOff(bool adviceAccepted = true, string? overruleReason = null, bool? acceptHighResidualRisk = null) => new
    {
        adviceAccepted,
        overruleReason,
        measuresApprovedBy = "Head of Customer Services",
        residualRisksApprovedBy = "Chief Executive",
        keptUnderReviewBy = "Data Protection Officer",
        nextReviewAt = Now.AddYears(1),
        acceptHighResidualRisk,
    };

    [Fact]
    public async Task ACC011_two_criteria_require_a_dpia_and_the_register_shows_the_newest_screening_on_the_activity()
    {
        var (dpo, activityId) = await ActivityAsync();
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var screened = await Status(await staff.PostAsJsonAsync("/api/dpias/screenings",
            new { activityId, criteria = new[] { "evaluationOrScoring", "largeScale" } }), HttpStatusCode.Created);
        screened.GetProperty("dpiaRequired").GetBoolean().ShouldBeTrue();
        screened.GetProperty("reasons")[0].GetString()!.ShouldContain("ACC011");
        screened.GetProperty("activityName").GetString().ShouldBe("Loyalty scoring");

        var activity = await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{activityId}");
        var shown = activity.GetProperty("dpiaScreening");
        shown.GetProperty("dpiaRequired").GetBoolean().ShouldBeTrue();
        shown.GetProperty("screeningId").GetGuid().ShouldBe(screened.GetProperty("id").GetGuid());
        shown.GetProperty("processingOnHold").GetBoolean().ShouldBeFalse();
        activity.GetProperty("dpia").ValueKind.ShouldBe(JsonValueKind.Null, "the register document's own DPIA fields are the DPO's to write");
        var listed = await dpo.GetFromJsonAsync<JsonElement>("/api/register/activities");
        listed[0].GetProperty("dpiaScreening").GetProperty("dpiaRequired").GetBoolean().ShouldBeTrue();

        App.Time.Advance(TimeSpan.FromDays(1));
        var one = await Status(await staff.PostAsJsonAsync("/api/dpias/screenings",
            new { activityId, criteria = new[] { "largeScale" }, notes = "Large, but plain contact data used as customers expect." }), HttpStatusCode.Created);
        one.GetProperty("dpiaRequired").GetBoolean().ShouldBeFalse();
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{activityId}")).GetProperty("dpiaScreening").GetProperty("dpiaRequired").GetBoolean()
            .ShouldBeFalse("the newest screening is the one shown");

        App.Time.Advance(TimeSpan.FromDays(1));
        var art35 = await Status(await staff.PostAsJsonAsync("/api/dpias/screenings",
            new { activityId, criteria = Array.Empty<string>(), art35Cases = new[] { "largeScaleSpecialOrCriminalData" } }), HttpStatusCode.Created);
        art35.GetProperty("dpiaRequired").GetBoolean().ShouldBeTrue();
        var history = await staff.GetFromJsonAsync<JsonElement>($"/api/dpias/screenings?activityId={activityId}");
        history.EnumerateArray().Select(s => s.GetProperty("dpiaRequired").GetBoolean()).ShouldBe([true, false, true]);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "dpias.screened" && e.Target == $"activity:{activityId}"))).ShouldBe(3);
    }

    [Fact]
    public async Task ACC011_unknown_criteria_are_refused_naming_the_field_and_nothing_is_stored()
    {
        var (dpo, activityId) = await ActivityAsync();
        await Problem(await dpo.PostAsJsonAsync("/api/dpias/screenings", new { activityId, criteria = new[] { "largeScale", "lotsOfData" } }),
            HttpStatusCode.BadRequest, "criteria[1]", "ACC011");
        await Problem(await dpo.PostAsJsonAsync("/api/dpias/screenings", new { activityId, criteria = Array.Empty<string>(), icoList = new[] { "drones" } }),
            HttpStatusCode.BadRequest, "icoList[0]", "ACC011");
        (await dpo.PostAsJsonAsync("/api/dpias/screenings", new { activityId, criterias = new[] { "largeScale" } })).StatusCode
            .ShouldBe(HttpStatusCode.BadRequest, "an unknown property is refused too");
        await Problem(await dpo.PostAsJsonAsync("/api/dpias/screenings", new { criteria = new[] { "largeScale" } }), HttpStatusCode.BadRequest, "activityId");
        await Problem(await dpo.PostAsJsonAsync("/api/dpias/screenings", new { activityId = Guid.NewGuid(), criteria = new[] { "largeScale" } }),
            HttpStatusCode.NotFound, "activityId");
        (await App.WithDbAsync(db => db.Set<DpiaScreeningRecord>().CountAsync())).ShouldBe(0);
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{activityId}")).GetProperty("dpiaScreening").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task ACC012_risk_ratings_outside_the_fixed_scale_are_refused_and_nothing_changes()
    {
        var (dpo, activityId) = await ActivityAsync();
        var created = await Status(await dpo.PostAsJsonAsync("/api/dpias", new { activityId }), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        created.GetProperty("reference").GetString().ShouldBe("DPIA-2026-0001");
        created.GetProperty("title").GetString().ShouldBe("Loyalty scoring", "the activity's name unless another is given");
        created.GetProperty("status").GetString().ShouldBe("draft");

        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/risks", new { description = "Wrong tier", likelihood = "likely", severity = "severe" }),
            HttpStatusCode.BadRequest, "likelihood", "ACC012");
        await Problem(await dpo.PatchAsJsonAsync($"/api/dpias/{id}", new { risks = new[] { new { description = "Wrong tier", likelihood = "remote", severity = "catastrophic" } } }),
            HttpStatusCode.BadRequest, "risks[0].severity", "ACC012");
        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/risks",
            new { description = "Wrong tier", likelihood = "remote", severity = "minimal", residualLikelihood = "remote", residualSeverity = "tiny" }),
            HttpStatusCode.BadRequest, "residualSeverity", "ACC012");
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/risks", new { description = "Wrong tier", likelihood = 3, severity = 3 })).StatusCode
            .ShouldBe(HttpStatusCode.BadRequest, "the scale is named, not numbered");

        var unchanged = await dpo.GetAsync($"/api/dpias/{id}");
        unchanged.Headers.ETag!.Tag.ShouldBe("\"1\"");
        var view = await Ok(unchanged);
        view.GetProperty("risks").GetArrayLength().ShouldBe(0);
        view.GetProperty("version").GetInt32().ShouldBe(1);

        var rated = await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/risks", new { description = "Wrong tier", likelihood = "possible", severity = "severe" }));
        var risk = rated.GetProperty("risks")[0];
        (risk.GetProperty("score").GetInt32(), risk.GetProperty("level").GetString()).ShouldBe((6, "high"));
        risk.GetProperty("residualLevel").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task ACC012_a_dpia_signed_off_without_the_dpos_advice_is_refused_with_a_clear_error_and_nothing_changes()
    {
        var (_, activityId) = await ActivityAsync();
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var id = await WrittenDpiaAsync(admin, activityId);
        var before = await admin.GetFromJsonAsync<JsonElement>($"/api/dpias/{id}");
        before.GetProperty("missingForSignOff").EnumerateArray().Select(m => m.GetString()).ShouldBe(["The DPO's advice (ACC012)."]);

        var problem = await Problem(await admin.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff()), HttpStatusCode.Conflict, "dpoAdvice", "ACC012");
        problem.GetProperty("detail").GetString()!.ShouldContain("Sign-off is refused without the DPO's advice");

        var after = await admin.GetFromJsonAsync<JsonElement>($"/api/dpias/{id}");
        after.GetProperty("status").GetString().ShouldBe("draft");
        after.GetProperty("signOff").ValueKind.ShouldBe(JsonValueKind.Null);
        after.GetProperty("nextReviewAt").ValueKind.ShouldBe(JsonValueKind.Null);
        after.GetProperty("version").GetInt32().ShouldBe(before.GetProperty("version").GetInt32());
        after.GetProperty("timeline").GetArrayLength().ShouldBe(before.GetProperty("timeline").GetArrayLength());
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "dpias.signed_off"))).ShouldBe(0);
    }

    [Fact]
    public async Task ACC012_only_the_dpo_advises_and_overruling_the_advice_needs_reasons()
    {
        var (dpo, activityId) = await ActivityAsync();
        var admin = await App.ClientWithRoleAsync(StaffRoles.Administrator);
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var id = await WrittenDpiaAsync(staff, activityId);
        (await admin.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Fine." })).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "the DPO's advice is the DPO's");
        (await staff.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Fine." })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = " " }), HttpStatusCode.BadRequest, "advice");

        App.Time.Advance(TimeSpan.FromHours(2));
        var advised = await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice",
            new { advice = "Do not proceed without a human review of every downgrade to the lowest tier." }));
        advised.GetProperty("status").GetString().ShouldBe("awaitingSignOff");
        var advice = advised.GetProperty("dpoAdvice");
        advice.GetProperty("givenBy").GetString()!.ShouldStartWith("token:");
        advice.GetProperty("givenAt").GetDateTimeOffset().ShouldBe(Now);
        advice.GetProperty("onVersion").GetInt32().ShouldBe(advised.GetProperty("version").GetInt32());
        advised.GetProperty("adviceCurrent").GetBoolean().ShouldBeTrue();
        advised.GetProperty("missingForSignOff").GetArrayLength().ShouldBe(0);

        (await staff.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff())).StatusCode.ShouldBe(HttpStatusCode.Forbidden, "staff write; the DPO or an administrator signs");
        await Problem(await admin.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff(adviceAccepted: false)), HttpStatusCode.BadRequest, "overruleReason", "ACC012");
        (await admin.GetFromJsonAsync<JsonElement>($"/api/dpias/{id}")).GetProperty("status").GetString().ShouldBe("awaitingSignOff");

        var signed = await Ok(await admin.PostAsJsonAsync($"/api/dpias/{id}/sign-off",
            SignOff(adviceAccepted: false, overruleReason: "Downgrades are reviewed in a monthly sample; a review of each would stop the scheme.")));
        signed.GetProperty("status").GetString().ShouldBe("complete");
        signed.GetProperty("signOff").GetProperty("adviceAccepted").GetBoolean().ShouldBeFalse();
        signed.GetProperty("signOff").GetProperty("overruleReason").GetString()!.ShouldContain("monthly sample");
        signed.GetProperty("nextReviewAt").GetDateTimeOffset().ShouldBe(Now.AddYears(1));
        signed.GetProperty("processingOnHold").GetBoolean().ShouldBeFalse();
        signed.GetProperty("priorConsultation").ValueKind.ShouldBe(JsonValueKind.Null);

        await Problem(await staff.PatchAsJsonAsync($"/api/dpias/{id}", new { need = "Changed later." }), HttpStatusCode.Conflict, "status");
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Later advice." })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var reviewed = await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/reviews", new { notes = "Sample of downgrades checked.", nextReviewAt = Now.AddMonths(6) }));
        reviewed.GetProperty("nextReviewAt").GetDateTimeOffset().ShouldBe(Now.AddMonths(6));
        reviewed.GetProperty("reviews").GetArrayLength().ShouldBe(1);
        var audit = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == $"dpia:{id}").OrderBy(e => e.Sequence).Select(e => e.Action).ToListAsync());
        audit.ShouldBe(["dpias.created", "dpias.dpo_advised", "dpias.signed_off", "dpias.reviewed"]);
    }

    [Fact]
    public async Task ACC012_an_edit_after_the_dpos_advice_needs_the_advice_again_before_sign_off()
    {
        var (dpo, activityId) = await ActivityAsync();
        var id = await WrittenDpiaAsync(dpo, activityId);
        await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Proceed." }));
        var etag = (await dpo.GetAsync($"/api/dpias/{id}")).Headers.ETag!.Tag;

        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/dpias/{id}") { Content = JsonContent.Create(new { need = "x" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await Problem(await dpo.SendAsync(stale), HttpStatusCode.Conflict, "version");

        using var edit = new HttpRequestMessage(HttpMethod.Patch, $"/api/dpias/{id}")
        {
            Content = JsonContent.Create(new { consultation = "Ten customers were asked in a survey; most expected tiers." }),
        };
        edit.Headers.TryAddWithoutValidation("If-Match", etag);
        var edited = await Ok(await dpo.SendAsync(edit));
        edited.GetProperty("status").GetString().ShouldBe("draft");
        edited.GetProperty("adviceCurrent").GetBoolean().ShouldBeFalse();
        edited.GetProperty("need").GetString()!.ShouldStartWith("Customers are scored", Case.Sensitive, "PATCH keeps what it does not name");
        edited.GetProperty("risks").GetArrayLength().ShouldBe(1);

        var problem = await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff()), HttpStatusCode.Conflict, "dpoAdvice", "ACC012");
        problem.GetProperty("detail").GetString()!.ShouldContain("changed since");

        await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Still proceed: the survey supports it." }));
        (await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff()))).GetProperty("status").GetString().ShouldBe("complete");
    }

    [Fact]
    public async Task PUT_replaces_the_sections_and_a_dpia_needs_the_art35_7_contents_before_sign_off()
    {
        var (dpo, activityId) = await ActivityAsync();
        var id = await WrittenDpiaAsync(dpo, activityId);
        var riskId = (await dpo.GetFromJsonAsync<JsonElement>($"/api/dpias/{id}")).GetProperty("risks")[0].GetProperty("id").GetGuid();
        var replaced = await Ok(await dpo.PutAsJsonAsync($"/api/dpias/{id}", new
        {
            title = "Loyalty tiers",
            description = new { nature = "Purchases are scored nightly." },
            risks = new[] { new { id = riskId, description = "Wrong tier", likelihood = "possible", severity = "significant" } },
        }));
        replaced.GetProperty("title").GetString().ShouldBe("Loyalty tiers");
        replaced.GetProperty("need").ValueKind.ShouldBe(JsonValueKind.Null, "PUT clears what it does not send");
        replaced.GetProperty("risks")[0].GetProperty("id").GetGuid().ShouldBe(riskId);
        await Problem(await dpo.PutAsJsonAsync($"/api/dpias/{id}", new { risks = new[] { new { id = Guid.NewGuid(), description = "x", likelihood = "remote", severity = "minimal" } } }),
            HttpStatusCode.BadRequest, "risks[0].id");

        await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Write the rest first." }));
        var problem = await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff()), HttpStatusCode.Conflict, "description.purposes");
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "necessityAndProportionality.necessity", "risks[0].measures", "risks[0].effect", "risks[0].residualLikelihood" })
        {
            errors.TryGetProperty(field, out _).ShouldBeTrue(field);
        }

        await Ok(await dpo.DeleteAsync($"/api/dpias/{id}/risks/{riskId}"));
        (await dpo.DeleteAsync($"/api/dpias/{id}/risks/{riskId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await dpo.GetAsync($"/api/dpias/{Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ACC013_a_residual_high_risk_accepted_at_sign_off_opens_a_prior_consultation_whose_clock_runs_8_weeks_plus_6_and_holds_the_processing()
    {
        var (dpo, activityId) = await ActivityAsync();
        var id = await WrittenDpiaAsync(dpo, activityId, residualLikelihood: "probable", residualSeverity: "severe");
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/dpias/{id}")).GetProperty("residualRisk").GetString().ShouldBe("high");
        await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "The residual risk stays high: consult the ICO." }));
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/submission", new { })).StatusCode.ShouldBe(HttpStatusCode.Conflict, "no consultation before sign-off");
        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff()), HttpStatusCode.BadRequest, "acceptHighResidualRisk", "ACC013");

        var signed = await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff(acceptHighResidualRisk: true)));
        signed.GetProperty("status").GetString().ShouldBe("priorConsultation");
        signed.GetProperty("processingOnHold").GetBoolean().ShouldBeTrue();
        signed.GetProperty("priorConsultation").GetProperty("status").GetString().ShouldBe("toSubmit");
        signed.GetProperty("signOff").GetProperty("highResidualRiskAccepted").GetBoolean().ShouldBeTrue();
        var held = (await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{activityId}")).GetProperty("dpiaScreening");
        held.GetProperty("processingOnHold").GetBoolean().ShouldBeTrue();
        held.GetProperty("holdReason").GetString()!.ShouldContain("must not start until its advice arrives");
        held.GetProperty("dpiaStatus").GetString().ShouldBe("priorConsultation");
        held.GetProperty("dpiaRequired").ValueKind.ShouldBe(JsonValueKind.Null, "assessed without a screening");

        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/extension", new { reason = "Complex" })).StatusCode.ShouldBe(HttpStatusCode.Conflict, "nothing to extend before receipt");
        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/submission", new { submittedAt = Now, receivedByAuthorityAt = Now.AddHours(-1) }),
            HttpStatusCode.BadRequest, "receivedByAuthorityAt", "ACC013");
        var submitted = (await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/submission", new { icoReference = "ICO-PC-17" }))).GetProperty("priorConsultation");
        submitted.GetProperty("status").GetString().ShouldBe("awaitingAdvice");
        submitted.GetProperty("adviceDueAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2027, 1, 20, 9, 0, 0, TimeSpan.Zero));
        submitted.GetProperty("adviceDueAt").GetString()!.ShouldEndWith("+00:00", Case.Insensitive, "stored and returned in UTC");
        submitted.GetProperty("extensionNoticeDueAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 12, 25, 9, 0, 0, TimeSpan.Zero));
        submitted.GetProperty("daysLeft").GetInt32().ShouldBe(56);
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/submission", new { })).StatusCode.ShouldBe(HttpStatusCode.Conflict, "sent once");

        App.Time.Advance(TimeSpan.FromDays(20));
        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/extension", new { reason = "" }), HttpStatusCode.BadRequest, "reason", "ACC013");
        var extended = (await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/extension",
            new { reason = "Novel scoring model: the ICO consults its technology team." }))).GetProperty("priorConsultation");
        extended.GetProperty("adviceDueAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2027, 3, 3, 9, 0, 0, TimeSpan.Zero));
        extended.GetProperty("extensionNoticeLate").GetBoolean().ShouldBeFalse();
        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/extension", new { reason = "Again" }), HttpStatusCode.Conflict, "extendedAt", "ACC013");

        var suspended = (await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/suspension",
            new { reason = "The ICO asked for the processor contract." }))).GetProperty("priorConsultation");
        suspended.GetProperty("status").GetString().ShouldBe("suspended");
        suspended.GetProperty("adviceDueAt").ValueKind.ShouldBe(JsonValueKind.Null);
        App.Time.Advance(TimeSpan.FromDays(7));
        var resumed = (await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/resumption", new { }))).GetProperty("priorConsultation");
        resumed.GetProperty("suspendedDays").GetInt32().ShouldBe(7);
        resumed.GetProperty("adviceDueAt").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2027, 3, 10, 9, 0, 0, TimeSpan.Zero));
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/resumption", new { })).StatusCode.ShouldBe(HttpStatusCode.Conflict, "not suspended any more");

        App.Time.SetUtcNow(new DateTimeOffset(2027, 3, 11, 9, 0, 0, TimeSpan.Zero));
        var overdue = (await dpo.GetFromJsonAsync<JsonElement>("/api/dpias"))[0];
        overdue.GetProperty("overdue").GetBoolean().ShouldBeTrue();
        overdue.GetProperty("daysLeft").GetInt32().ShouldBe(-1);
        overdue.GetProperty("processingOnHold").GetBoolean().ShouldBeTrue();

        await Problem(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/advice", new { outcome = "proceedWithChanges" }), HttpStatusCode.BadRequest, "summary", "ACC013");
        var advised = await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/advice",
            new { summary = "Proceed once every downgrade to the lowest tier is reviewed by a person.", outcome = "proceedWithChanges" }));
        advised.GetProperty("status").GetString().ShouldBe("complete");
        advised.GetProperty("processingOnHold").GetBoolean().ShouldBeFalse();
        advised.GetProperty("priorConsultation").GetProperty("status").GetString().ShouldBe("adviceReceived");
        var released = (await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{activityId}")).GetProperty("dpiaScreening");
        released.GetProperty("processingOnHold").GetBoolean().ShouldBeFalse();
        (await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/suspension", new { reason = "x" })).StatusCode.ShouldBe(HttpStatusCode.Conflict, "closed");

        advised.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldBe(
            ["created", "dpo_advice", "signed_off", "prior_consultation_opened", "consultation_submitted", "consultation_extended", "consultation_suspended",
             "consultation_resumed", "ico_advice"]);
        var audit = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Target == $"dpia:{id}").Select(e => e.Action).ToListAsync());
        audit.ShouldContain("dpias.consultation_submitted");
        audit.ShouldContain("dpias.ico_advice_recorded");
        audit.Count.ShouldBe(8);
        (await dpo.GetStringAsync("/api/audit/verify")).ShouldContain("\"intact\":true");
    }

    [Fact]
    public async Task ACC013_an_extension_told_late_is_flagged_and_advice_against_the_processing_keeps_it_on_hold()
    {
        var (dpo, activityId) = await ActivityAsync();
        var id = await WrittenDpiaAsync(dpo, activityId, residualLikelihood: "possible", residualSeverity: "severe");
        await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/advice", new { advice = "Consult the ICO." }));
        await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/sign-off", SignOff(acceptHighResidualRisk: true)));
        await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/submission", new { submittedAt = Now.AddDays(-2), receivedByAuthorityAt = Now.AddDays(-1) }));
        App.Time.Advance(TimeSpan.FromDays(31));
        var extended = (await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/extension", new { reason = "Complex." }))).GetProperty("priorConsultation");
        extended.GetProperty("extensionNoticeLate").GetBoolean().ShouldBeTrue("received 24 November, told of the extension on 26 December");
        var refused = await Ok(await dpo.PostAsJsonAsync($"/api/dpias/{id}/consultation/advice", new { summary = "The risk to customers is not mitigated.", outcome = "doNotProceed" }));
        refused.GetProperty("status").GetString().ShouldBe("complete");
        refused.GetProperty("processingOnHold").GetBoolean().ShouldBeTrue();
        (await dpo.GetFromJsonAsync<JsonElement>($"/api/register/activities/{activityId}")).GetProperty("dpiaScreening").GetProperty("holdReason").GetString()!
            .ShouldContain("The ICO advised against this processing");
    }

    [Fact]
    public async Task Auditors_read_dpias_and_change_nothing_and_nobody_signed_out_reads_them()
    {
        var (dpo, activityId) = await ActivityAsync();
        var id = await WrittenDpiaAsync(dpo, activityId);
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await auditor.GetAsync($"/api/dpias/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await auditor.GetAsync("/api/dpias")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await auditor.PostAsJsonAsync("/api/dpias/screenings", new { activityId, criteria = new[] { "largeScale" } })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await auditor.PostAsJsonAsync("/api/dpias", new { activityId })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await auditor.PatchAsJsonAsync($"/api/dpias/{id}", new { need = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await App.Client().GetAsync("/api/dpias")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await App.WithDbAsync(db => db.Set<DpiaRecord>().CountAsync())).ShouldBe(1);
    }
}
