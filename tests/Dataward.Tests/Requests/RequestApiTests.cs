using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Requests;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Tests.Requests;

public sealed class RequestApiTests_Sqlite() : RequestApiTests(StorageProvider.Sqlite);

public sealed class RequestApiTests_Postgres() : RequestApiTests(StorageProvider.Postgres);

/// <summary>Requests from intake to answer through the API: references, acknowledgements, identity codes, the clock,
/// extensions and refusals.</summary>
public abstract partial class RequestApiTests(StorageProvider provider) : AppTest(provider)
{
    private async Task<(HttpClient Staff, JsonElement Request)> CreateAsync(object? body = null)
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var response = await staff.PostAsJsonAsync("/api/requests", body ?? new { type = "access", identities = new { email = "Ana@Example.com" } });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (staff, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private async Task<string> LatestCodeAsync()
    {
        var message = (await App.WithDbAsync(db => db.Set<OutboxMessage>().Where(m => m.Purpose.StartsWith("portal.code")).OrderByDescending(m => m.CreatedAt).FirstAsync())).Decrypted(App);
        return Code().Match(message.Body).Value;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task DSR002_DSR005_intake_gives_a_reference_an_acknowledgement_and_a_code_and_waits_for_identity()
    {
        var (staff, request) = await CreateAsync();
        request.GetProperty("reference").GetString().ShouldBe("DSR-2026-000001");
        request.GetProperty("state").GetString().ShouldBe("identity_pending");
        request.GetProperty("dueAt").ValueKind.ShouldBe(JsonValueKind.Null, "the clock waits for the identity proof");
        request.GetProperty("clockPausedReason").GetString().ShouldBe("identity");
        var ack = (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.acknowledgement"))).Decrypted(App);
        ack.Subject.ShouldContain("DSR-2026-000001");
        ack.Body.ShouldContain("within one month of the day you confirm your identity");
        (await LatestCodeAsync()).Length.ShouldBe(6);

        var (_, second) = await CreateAsync(new { type = "erasure", identities = new { email = "ben@example.com" }, channel = "letter" });
        second.GetProperty("reference").GetString().ShouldBe("DSR-2026-000002");
        (await staff.GetFromJsonAsync<JsonElement>("/api/requests")).GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task DSR005_DSR007_the_code_verifies_once_and_the_clock_counts_from_the_day_of_verification()
    {
        var (staff, request) = await CreateAsync();
        var id = request.GetProperty("id").GetGuid();
        var code = await LatestCodeAsync();
        App.Time.Advance(TimeSpan.FromDays(3)); // 28 November 2026
        var anonymous = App.Client();
        var verified = await anonymous.PostAsJsonAsync($"/api/requests/{id}/verify", new { code = $"{code[..3]} {code[3..]}" });
        // The code lives 10 minutes: three days later it has expired; a new one works.
        verified.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await staff.PostAsync($"/api/requests/{id}/resend-code", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        code = await LatestCodeAsync();
        verified = await anonymous.PostAsJsonAsync($"/api/requests/{id}/verify", new { code });
        verified.StatusCode.ShouldBe(HttpStatusCode.OK, await verified.Content.ReadAsStringAsync());
        var answer = await Json(verified);
        answer.GetProperty("state").GetString().ShouldBe("verified");
        answer.GetProperty("dueAt").GetString().ShouldBe("2026-12-29", "28 November + 1 month is Monday 28 December, a bank holiday (Boxing Day substitute)");
        answer.TryGetProperty("identities", out _).ShouldBeFalse("the anonymous answer reveals nothing more");
        var replay = await anonymous.PostAsJsonAsync($"/api/requests/{id}/verify", new { code = "000000" });
        replay.StatusCode.ShouldBe(HttpStatusCode.OK, "a verified request stays verified");
        var view = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        view.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ShouldContain("verified");
    }

    [Fact]
    public async Task DSR007_five_wrong_codes_lock_it_and_the_lockout_is_logged()
    {
        var (staff, request) = await CreateAsync();
        var id = request.GetProperty("id").GetGuid();
        var code = await LatestCodeAsync();
        var wrong = code == "000000" ? "111111" : "000000";
        var anonymous = App.Client();
        for (var i = 0; i < 5; i++)
        {
            (await anonymous.PostAsJsonAsync($"/api/requests/{id}/verify", new { code = wrong })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        }
        var locked = await anonymous.PostAsJsonAsync($"/api/requests/{id}/verify", new { code });
        locked.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await locked.Content.ReadAsStringAsync()).ShouldContain("DSR007");
        var view = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        view.GetProperty("state").GetString().ShouldBe("identity_pending");
        view.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("summary").GetString()).ShouldContain(s => s!.Contains("locked"));
        // An unknown request answers exactly like a wrong code: nothing about what exists (DSR006).
        var unknown = await anonymous.PostAsJsonAsync($"/api/requests/{Guid.NewGuid()}/verify", new { code });
        unknown.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DSR004_an_extension_counts_from_the_start_needs_a_reason_tells_the_person_and_happens_once()
    {
        var (staff, request) = await CreateAsync(new { type = "access", identities = new { email = "ana@example.com" }, channel = "in_person", identityChecked = "Showed the loyalty card and answered two account questions" });
        var id = request.GetProperty("id").GetGuid();
        request.GetProperty("state").GetString().ShouldBe("verified");
        request.GetProperty("dueAt").GetString().ShouldBe("2026-12-29", "Friday 25 December is Christmas Day and Monday 28 the Boxing Day substitute");
        (await staff.PostAsJsonAsync($"/api/requests/{id}/extend", new { months = 3, reason = "x" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await staff.PostAsJsonAsync($"/api/requests/{id}/extend", new { months = 2, reason = "" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var extended = await staff.PostAsJsonAsync($"/api/requests/{id}/extend", new { months = 2, reason = "Twelve years of records across four systems." });
        extended.StatusCode.ShouldBe(HttpStatusCode.OK, await extended.Content.ReadAsStringAsync());
        var view = await Json(extended);
        view.GetProperty("state").GetString().ShouldBe("extended");
        view.GetProperty("dueAt").GetString().ShouldBe("2027-02-25", "three months from Wednesday 25 November 2026");
        view.GetProperty("originalDueAt").GetString().ShouldBe("2026-12-29");
        ((await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.extension"))).Decrypted(App)).Body.ShouldContain("Twelve years");
        (await staff.PostAsJsonAsync($"/api/requests/{id}/extend", new { months = 1, reason = "again" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task DSR004_no_extension_after_the_original_deadline()
    {
        var (staff, request) = await CreateAsync(new { type = "access", identities = new { email = "ana@example.com" }, channel = "phone", identityChecked = "Known caller, account PIN" });
        App.Time.Advance(TimeSpan.FromDays(40));
        var late = await staff.PostAsJsonAsync($"/api/requests/{request.GetProperty("id").GetGuid()}/extend", new { months = 1, reason = "Complex" });
        late.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await late.Content.ReadAsStringAsync()).ShouldContain("DSR004");
        var overdue = await staff.GetFromJsonAsync<JsonElement>("/api/requests?due=overdue");
        overdue.GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task DSR025_due_soon_lists_requests_due_within_seven_days()
    {
        var (staff, _) = await CreateAsync(new { type = "access", identities = new { email = "ana@example.com" }, channel = "letter", identityChecked = "Signed letter matches records", receivedAt = App.Time.GetUtcNow().AddDays(-28) });
        (await staff.GetFromJsonAsync<JsonElement>("/api/requests?due=soon")).GetArrayLength().ShouldBe(1);
        (await staff.GetFromJsonAsync<JsonElement>("/api/requests?due=overdue")).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task DSR005_a_pause_for_clarification_removes_the_due_date_and_the_answer_restarts_it()
    {
        var (staff, request) = await CreateAsync(new { type = "access", identities = new { email = "ana@example.com" }, channel = "email", identityChecked = "Reply from the address on the account" });
        var id = request.GetProperty("id").GetGuid();
        var paused = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/pause", new { reason = "clarification" }));
        paused.GetProperty("dueAt").ValueKind.ShouldBe(JsonValueKind.Null);
        (await staff.PostAsJsonAsync($"/api/requests/{id}/pause", new { reason = "identity" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        App.Time.Advance(TimeSpan.FromDays(6)); // Tuesday 1 December
        var resumed = await Json(await staff.PostAsync($"/api/requests/{id}/resume", null));
        resumed.GetProperty("dueAt").GetString().ShouldBe("2027-01-04", "1 January is New Year's Day, then a weekend");
    }

    [Fact]
    public async Task DSR010_DSR023_a_refusal_states_its_reasons_and_the_right_to_complain_and_excessive_needs_the_dpo()
    {
        var (staff, request) = await CreateAsync();
        var id = request.GetProperty("id").GetGuid();
        var excessive = await staff.PostAsJsonAsync($"/api/requests/{id}/reject", new { ground = "manifestly_excessive", reason = "Fifth identical request this month." });
        excessive.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await excessive.Content.ReadAsStringAsync()).ShouldContain("DSR010");
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var refused = await dpo.PostAsJsonAsync($"/api/requests/{id}/reject", new { ground = "manifestly_excessive", reason = "Fifth identical request this month." });
        refused.StatusCode.ShouldBe(HttpStatusCode.OK, await refused.Content.ReadAsStringAsync());
        (await Json(refused)).GetProperty("state").GetString().ShouldBe("rejected");
        var letter = (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.refusal"))).Decrypted(App);
        letter.Body.ShouldContain("manifestly excessive");
        letter.Body.ShouldContain("Information Commissioner");
        letter.Body.ShouldContain("judicial remedy");
        (await dpo.PostAsJsonAsync($"/api/requests/{id}/cancel", new { reason = "late" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("{\"type\":\"nonsense\",\"identities\":{\"email\":\"a@b.c\"}}", "type")]
    [InlineData("{\"type\":\"access\",\"identities\":{}}", "identities")]
    [InlineData("{\"type\":\"access\",\"identities\":{\"email\":\"not-an-address\"}}", "identities.email")]
    [InlineData("{\"type\":\"access\",\"identities\":{\"email\":\"a@b.c\"},\"channel\":\"pigeon\"}", "channel")]
    [InlineData("{\"type\":\"access\",\"identities\":{\"customer_id\":\"C-1\"}}", "identities.email")]
    [InlineData("{\"type\":\"access\",\"identities\":{\"email\":\"a@b.c\"},\"actingFor\":\"Ana\",\"agentRelationship\":\"neighbour\"}", "agentRelationship")]
    [InlineData("{\"type\":\"access\",\"identities\":{\"email\":\"a@b.c\"},\"authority\":\"letter\"}", "actingFor")]
    [InlineData("{\"type\":\"access\",\"identities\":{\"email\":\"a@b.c\"},\"requireProof\":\"ID\",\"identityChecked\":\"seen\"}", "requireProof")]
    [InlineData("{\"type\":\"access\",\"identities\":{\"email\":\"a@b.c\"},\"replyChannel\":\"fax\"}", "replyChannel")]
    public async Task Bad_requests_are_refused_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var response = await staff.PostAsync("/api/requests", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Json(response)).GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(await response.Content.ReadAsStringAsync());
        (await App.WithDbAsync(db => db.Set<SubjectRequest>().CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task The_persons_identities_and_words_are_not_stored_in_clear()
    {
        await CreateAsync(new { type = "access", identities = new { email = "seeded.requester@example.net", phone_number = "+447700900123" }, details = "seeded words" });
        var rows = await App.WithDbAsync(db => db.Set<SubjectRequest>().Select(r => r.IdentitiesEncrypted + r.DetailsEncrypted + r.SubjectHash).ToListAsync());
        rows.ShouldAllBe(r => !r.Contains("seeded") && !r.Contains("447700900123"));
        var timeline = await App.WithDbAsync(db => db.Set<SubjectRequestEvent>().Select(e => e.Summary).ToListAsync());
        timeline.ShouldAllBe(s => !s.Contains("seeded"));
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex Code();
}
