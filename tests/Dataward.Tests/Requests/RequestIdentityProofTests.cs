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

public sealed class RequestIdentityProofTests_Sqlite() : RequestIdentityProofTests(StorageProvider.Sqlite);

public sealed class RequestIdentityProofTests_Postgres() : RequestIdentityProofTests(StorageProvider.Postgres);

/// <summary>Intake by any channel (DSR001), identity beyond the code (DSR008), agents and their authority (DSR009), the
/// way the answer goes (DSR024) and what the person was sent, through the API and the request page.</summary>
public abstract partial class RequestIdentityProofTests(StorageProvider provider) : AppTest(provider)
{
    private const string Passport = "UK passport seen on a video call; photo and name matched the account";

    private async Task<(HttpClient Staff, Guid Id, JsonElement Request)> CreateAsync(object body)
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var response = await staff.PostAsJsonAsync("/api/requests", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var request = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (staff, request.GetProperty("id").GetGuid(), request);
    }

    private async Task<string> LatestCodeAsync()
    {
        var message = (await App.WithDbAsync(db => db.Set<OutboxMessage>().Where(m => m.Purpose.StartsWith("portal.code")).OrderByDescending(m => m.CreatedAt).FirstAsync())).Decrypted(App);
        return Code().Match(message.Body).Value;
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static List<string> Kinds(JsonElement request) => [.. request.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("kind").GetString()!)];

    [Fact]
    public async Task DSR008_staff_require_more_proof_the_code_alone_no_longer_verifies_and_only_a_description_of_the_check_is_kept()
    {
        var (staff, id, _) = await CreateAsync(new { type = "access", identities = new { email = "ana@example.com" } });
        var asked = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/require-proof",
            new { reason = "Your account holds payment details: please show photo ID on a short video call." }));
        asked.GetProperty("state").GetString().ShouldBe("identity_pending");
        asked.GetProperty("proofRequired").GetProperty("reason").GetString()!.ShouldContain("photo ID");
        Strings(asked.GetProperty("awaitingProof")).ShouldBe(["proof"]);
        var letter = (await App.WithDbAsync(db => db.Set<OutboxMessage>().SingleAsync(m => m.Purpose == "requests.proof_requested"))).Decrypted(App);
        letter.Subject.ShouldContain("DSR-2026-000001");
        letter.Body.ShouldContain("please show photo ID on a short video call");
        (await ProblemAsync(await staff.PostAsJsonAsync($"/api/requests/{id}/require-proof", new { reason = "again" }), HttpStatusCode.Conflict))
            .GetProperty("ruleId").GetString().ShouldBe("DSR008");

        // The right code is accepted, and the person is told so, but it no longer verifies the request.
        var confirmed = await Json(await App.Client().PostAsJsonAsync($"/api/requests/{id}/verify", new { code = await LatestCodeAsync() }));
        confirmed.GetProperty("state").GetString().ShouldBe("identity_pending");
        var waiting = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
        waiting.GetProperty("dueAt").ValueKind.ShouldBe(JsonValueKind.Null, "the clock waits for the proof (DSR005)");
        waiting.GetProperty("clockPausedReason").GetString().ShouldBe("identity");
        Kinds(waiting).ShouldContain("code_confirmed");
        (await ProblemAsync(await staff.GetAsync($"/api/requests/{id}/plan"), HttpStatusCode.Conflict)).GetProperty("ruleId").GetString().ShouldBe("DSR006");

        var bad = await ProblemAsync(await staff.PostAsJsonAsync($"/api/requests/{id}/identity-checks",
            new { kind = "identity", method = "photocopy", description = "", outcome = "maybe" }), HttpStatusCode.BadRequest);
        bad.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe(["method", "description", "outcome"], ignoreOrder: true);
        var failed = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/identity-checks",
            new { kind = "identity", method = "video_call", description = "Camera too dark to compare the photo", outcome = "failed" }));
        failed.GetProperty("state").GetString().ShouldBe("identity_pending", "a failed check proves nothing");

        App.Time.Advance(TimeSpan.FromDays(2)); // Friday 27 November 2026
        var passed = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/identity-checks",
            new { kind = "identity", method = "photo_id", description = Passport, outcome = "passed" }));
        passed.GetProperty("state").GetString().ShouldBe("verified");
        passed.GetProperty("dueAt").GetString().ShouldBe("2026-12-29", "one month from the day the proof arrived, 27 December being a Sunday and 28 December a bank holiday");
        passed.GetProperty("verificationMethod").GetString()!.ShouldContain("staff check: photo ID seen");
        passed.GetProperty("awaitingProof").GetArrayLength().ShouldBe(0);
        var checks = passed.GetProperty("identityChecks").EnumerateArray().ToList();
        checks.Select(c => c.GetProperty("outcome").GetString()).ShouldBe(["failed", "passed"]);
        checks[1].GetProperty("description").GetString().ShouldBe(Passport);
        checks[1].GetProperty("checkedBy").GetString().ShouldNotBeNullOrEmpty();

        // Only the description is kept, encrypted; the timeline and the audit trail name the method and outcome only.
        var stored = await App.WithDbAsync(db => db.Set<IdentityCheckRecord>().OrderBy(c => c.CheckedAt).ToListAsync());
        stored.Select(c => (c.Kind, c.Method, c.Outcome)).ShouldBe([("identity", "video_call", "failed"), ("identity", "photo_id", "passed")]);
        stored.ShouldAllBe(c => !c.DescriptionEncrypted.Contains("matched the account") && !c.DescriptionEncrypted.Contains("Camera"));
        var audit = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "requests.identity_checked").Select(e => e.Details).ToListAsync());
        audit.Count.ShouldBe(2);
        audit.ShouldAllBe(d => d!.Contains("\"method\"") && !d.Contains("matched the account") && !d.Contains("Camera"));
        (await App.WithDbAsync(db => db.Set<SubjectRequestEvent>().Select(e => e.Summary).ToListAsync()))
            .ShouldAllBe(s => !s.Contains("matched the account") && !s.Contains("Camera"));
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.proof_required"))).ShouldBe(1);
    }

    [Fact]
    public async Task DSR008_DSR005_more_proof_asked_for_a_verified_erasure_before_approval_stops_the_clock_and_approval_waits_for_the_check()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var (staff, id, request) = await CreateAsync(new { type = "erasure", identities = new { email = "ben@example.com" }, channel = "email", identityChecked = "Replied from the address on the account" });
        request.GetProperty("state").GetString().ShouldBe("awaiting_approval");
        request.GetProperty("dueAt").GetString().ShouldBe("2026-12-29");

        var asked = await Json(await dpo.PostAsJsonAsync($"/api/requests/{id}/require-proof", new { reason = "The account holds health records: please confirm your identity on a video call." }));
        asked.GetProperty("state").GetString().ShouldBe("identity_pending");
        asked.GetProperty("dueAt").ValueKind.ShouldBe(JsonValueKind.Null);
        asked.GetProperty("verifiedAt").ValueKind.ShouldBe(JsonValueKind.Null);
        (await ProblemAsync(await dpo.PostAsync($"/api/requests/{id}/approve", null), HttpStatusCode.Conflict)).GetProperty("ruleId").GetString().ShouldBe("DSR014");

        App.Time.Advance(TimeSpan.FromDays(6)); // Tuesday 1 December 2026
        var proven = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/identity-checks",
            new { kind = "identity", method = "video_call", description = "Answered questions about the last two orders on a video call", outcome = "passed" }));
        proven.GetProperty("state").GetString().ShouldBe("awaiting_approval", "back to the DPO, who reviews the plan");
        proven.GetProperty("dueAt").GetString().ShouldBe("2027-01-04", "a month from 1 December is New Year's Day, a bank holiday, then a weekend");
        Kinds(proven).Count(k => k == "clock_paused").ShouldBe(1);

        (await dpo.PostAsync($"/api/requests/{id}/approve", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ProblemAsync(await dpo.PostAsJsonAsync($"/api/requests/{id}/require-proof", new { reason = "too late" }), HttpStatusCode.Conflict))
            .GetProperty("ruleId").GetString().ShouldBe("DSR008", "once the erasure is approved, it is acted on");
    }

    [Fact]
    public async Task DSR009_a_request_made_by_an_agent_waits_for_evidence_of_their_authority_before_verification_completes()
    {
        var (staff, id, request) = await CreateAsync(new
        {
            type = "access",
            identities = new { email = "cara@example.com" },
            channel = "letter",
            actingFor = "Sam Solicitor LLP",
            agentContact = "sam@solicitors.example",
            agentRelationship = "solicitor",
        });
        request.GetProperty("state").GetString().ShouldBe("identity_pending");
        Strings(request.GetProperty("awaitingProof")).ShouldBe(["code", "authority"]);
        request.GetProperty("agent").GetProperty("name").GetString().ShouldBe("Sam Solicitor LLP");
        request.GetProperty("agent").GetProperty("relationship").GetString().ShouldBe("solicitor");
        request.GetProperty("actingFor").GetString().ShouldBe("Sam Solicitor LLP");

        var confirmed = await Json(await App.Client().PostAsJsonAsync($"/api/requests/{id}/verify", new { code = await LatestCodeAsync() }));
        confirmed.GetProperty("state").GetString().ShouldBe("identity_pending", "the person's code does not show the agent may act");
        Strings((await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}")).GetProperty("awaitingProof")).ShouldBe(["authority"]);

        (await ProblemAsync(await staff.PostAsJsonAsync($"/api/requests/{id}/identity-checks",
            new { kind = "authority", method = "photo_id", description = "x", outcome = "passed" }), HttpStatusCode.BadRequest))
            .GetProperty("ruleId").GetString().ShouldBe("DSR009");
        var proven = await Json(await staff.PostAsJsonAsync($"/api/requests/{id}/identity-checks",
            new { kind = "authority", method = "written_authorisation", description = "Signed letter of authority dated 20 November, signature matches our records", outcome = "passed" }));
        proven.GetProperty("state").GetString().ShouldBe("verified");
        proven.GetProperty("verificationMethod").GetString()!.ShouldContain("agent's authority: written authorisation");
        Kinds(proven).ShouldContain("authority_checked");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == "requests.authority_checked"))).ShouldBe(1);
        (await App.WithDbAsync(db => db.Set<SubjectRequest>().Select(r => r.AgentEncrypted).SingleAsync()))!.ShouldNotContain("Sam Solicitor");

        // Without an agent there is no authority to record; with the evidence shown at intake, nothing waits for it.
        var (_, plain, _) = await CreateAsync(new { type = "access", identities = new { email = "dev@example.com" } });
        (await ProblemAsync(await staff.PostAsJsonAsync($"/api/requests/{plain}/identity-checks",
            new { kind = "authority", method = "power_of_attorney", description = "Lasting power of attorney seen", outcome = "passed" }), HttpStatusCode.Conflict))
            .GetProperty("ruleId").GetString().ShouldBe("DSR009");
        var (_, _, shown) = await CreateAsync(new
        {
            type = "access",
            identities = new { email = "eli@example.com" },
            channel = "in_person",
            identityChecked = "Known to the branch; answered account questions",
            identityCheckMethod = "account_details",
            actingFor = "Fay (daughter)",
            agentRelationship = "relative",
            authority = "Registered lasting power of attorney for property and financial affairs",
            authorityType = "power_of_attorney",
        });
        shown.GetProperty("state").GetString().ShouldBe("verified");
        shown.GetProperty("identityChecks").GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task DSR001_staff_log_requests_received_by_phone_letter_and_in_person_and_the_channel_is_recorded()
    {
        foreach (var (channel, how) in new[] { ("phone", "by phone"), ("letter", "by letter"), ("in_person", "in person") })
        {
            var (staff, id, request) = await CreateAsync(new { type = "access", identities = new { phone_number = "+447700900123" }, channel, identityChecked = "Known caller, account PIN" });
            request.GetProperty("channel").GetString().ShouldBe(channel);
            var view = await staff.GetFromJsonAsync<JsonElement>($"/api/requests/{id}");
            view.GetProperty("timeline").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "received")
                .GetProperty("summary").GetString()!.ShouldStartWith($"Received {how}");
        }
        var staffList = await (await App.ClientWithRoleAsync(StaffRoles.Staff)).GetFromJsonAsync<JsonElement>("/api/requests");
        staffList.EnumerateArray().Select(r => r.GetProperty("channel").GetString()).ShouldBe(["phone", "letter", "in_person"], ignoreOrder: true);

        // The same from the staff form: a letter, logged on the day it arrived.
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var posted = await ui.SubmitAsync("/requests/new", "new-request", new Dictionary<string, string>
        {
            ["Input.Type"] = "erasure",
            ["Input.Channel"] = "letter",
            ["Input.ReceivedAt"] = App.Time.GetUtcNow().AddDays(-2).ToString("yyyy-MM-ddTHH:mm"),
            ["Input.Email"] = "gus@example.com",
            ["Input.RequireProof"] = "Please send a copy of a recent utility bill or bring photo ID to a branch.",
        });
        posted.StatusCode.ShouldBe(HttpStatusCode.Redirect, await posted.Content.ReadAsStringAsync());
        var page = await ui.GetPageAsync(posted.Headers.Location!.OriginalString);
        page.ShouldContain("by letter");
        page.ShouldContain("Answer by");
        page.ShouldContain("post");
        var logged = await App.WithDbAsync(db => db.Set<SubjectRequest>().SingleAsync(r => r.Type == "erasure"));
        logged.Channel.ShouldBe("letter");
        logged.ReceivedLocalDate.ShouldBe(new DateOnly(2026, 11, 23));
        logged.ResponseChannel.ShouldBe("post");
    }

    [Fact]
    public async Task DSR024_an_electronic_request_is_answered_by_email_unless_the_person_asks_otherwise()
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var (_, web, request) = await CreateAsync(new { type = "access", identities = new { email = "hal@example.com" }, channel = "web", identityChecked = "Reply from the account address" });
        request.GetProperty("responseChannel").GetString().ShouldBe("email");
        var refused = await Json(await dpo.PostAsJsonAsync($"/api/requests/{web}/reject", new { ground = "other", reason = "We are not the controller of this data." }));
        refused.GetProperty("responseSentAt").ValueKind.ShouldNotBe(JsonValueKind.Null);
        (await App.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.Purpose == "requests.refusal"))).ShouldBe(1);

        // The person asks for a letter: the refusal is not e-mailed but waits on the request for staff to post.
        var (staff, byPost, _) = await CreateAsync(new { type = "access", identities = new { email = "ivy@example.com" }, channel = "email", identityChecked = "Reply from the account address" });
        (await ProblemAsync(await staff.PostAsJsonAsync($"/api/requests/{byPost}/reply-channel", new { channel = "pigeon" }), HttpStatusCode.BadRequest))
            .GetProperty("ruleId").GetString().ShouldBe("DSR024");
        var changed = await Json(await staff.PostAsJsonAsync($"/api/requests/{byPost}/reply-channel", new { channel = "post" }));
        changed.GetProperty("responseChannel").GetString().ShouldBe("post");
        Kinds(changed).ShouldContain("reply_channel");
        var answered = await Json(await dpo.PostAsJsonAsync($"/api/requests/{byPost}/reject", new { ground = "other", reason = "We are not the controller of this data." }));
        answered.GetProperty("responseSentAt").ValueKind.ShouldBe(JsonValueKind.Null);
        Kinds(answered).ShouldContain("response_due");
        (await App.WithDbAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.Purpose == "requests.refusal"))).ShouldBe(1, "no second refusal e-mail");
        var messages = await Json(await staff.GetAsync($"/api/requests/{byPost}/messages"));
        messages.GetProperty("responseChannel").GetString().ShouldBe("post");
        var letter = messages.GetProperty("replyToSend").GetString()!;
        letter.ShouldContain("We are not the controller of this data.");
        letter.ShouldContain("judicial remedy");
        (await App.WithDbAsync(db => db.Set<SubjectRequest>().SingleAsync(r => r.Id == byPost))).ReplyLetterEncrypted!.ShouldNotContain("controller");

        // A letter is answered by post unless the person asks for e-mail, which needs an address.
        var (_, letterId, fromLetter) = await CreateAsync(new { type = "access", identities = new { customer_id = "C-1" }, channel = "letter", identityChecked = "Signed letter matches records" });
        fromLetter.GetProperty("responseChannel").GetString().ShouldBe("post");
        (await ProblemAsync(await staff.PostAsJsonAsync($"/api/requests/{letterId}/reply-channel", new { channel = "email" }), HttpStatusCode.Conflict))
            .GetProperty("ruleId").GetString().ShouldBe("DSR024");
        (await ProblemAsync(await staff.PostAsJsonAsync("/api/requests", new { type = "access", identities = new { customer_id = "C-2" }, channel = "letter", identityChecked = "Signed", replyChannel = "email" }),
            HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("replyChannel", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task The_request_page_shows_every_email_sent_to_the_person_with_one_time_codes_withheld()
    {
        var (staff, id, _) = await CreateAsync(new { type = "access", identities = new { email = "jo@example.com" } });
        (await staff.PostAsJsonAsync($"/api/requests/{id}/require-proof", new { reason = "Please bring photo ID to a branch." })).EnsureSuccessStatusCode();
        var code = await LatestCodeAsync();
        var messages = await Json(await staff.GetAsync($"/api/requests/{id}/messages"));
        var list = messages.GetProperty("messages").EnumerateArray().ToList();
        // Written in the same instant, the acknowledgement and the code may come in either order.
        list.Select(m => m.GetProperty("purpose").GetString()).ShouldBe(["requests.acknowledgement", $"portal.code.request:{id:N}", "requests.proof_requested"], ignoreOrder: true);
        list.ShouldAllBe(m => m.GetProperty("to").GetString() == "jo@example.com");
        list.Single(m => m.GetProperty("purpose").GetString()!.StartsWith("portal.code")).GetProperty("body").ValueKind.ShouldBe(JsonValueKind.Null, "staff never see the person's code");
        list.Single(m => m.GetProperty("purpose").GetString() == "requests.proof_requested").GetProperty("body").GetString()!.ShouldContain("Please bring photo ID to a branch.");
        (await staff.GetAsync($"/api/requests/{Guid.NewGuid()}/messages")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        await App.CreateUserAsync("auditor@example.org", StaffRoles.Auditor);
        var ui = App.Ui();
        await ui.SignInAsync("auditor@example.org");
        var page = await ui.GetPageAsync($"/requests/{id}");
        page.ShouldContain("Messages to the person");
        page.ShouldContain("We received your request DSR-2026-000001");
        page.ShouldContain("we need more proof of your identity");
        page.ShouldNotContain(code);
        page.ShouldNotContain("Record the identity check", Case.Sensitive, "an auditor reads; staff act");
    }

    [Fact]
    public async Task DSR008_DSR009_staff_ask_for_proof_and_record_the_checks_from_the_request_page()
    {
        var (_, id, _) = await CreateAsync(new
        {
            type = "access",
            identities = new { email = "kit@example.com" },
            channel = "email",
            actingFor = "Lou Advocate",
            agentRelationship = "advocate",
        });
        await App.CreateUserAsync("staff@example.org", StaffRoles.Staff);
        var ui = App.Ui();
        await ui.SignInAsync("staff@example.org");
        var page = await ui.GetPageAsync($"/requests/{id}");
        page.ShouldContain("the code e-mailed to the person");
        page.ShouldContain("evidence of the agent&#x27;s authority");
        page.ShouldContain("Lou Advocate, advocate or carer");

        var asked = await ui.SubmitAsync($"/requests/{id}", "require-proof", new Dictionary<string, string> { ["Proof.Reason"] = "Please show photo ID at a branch." });
        (await asked.Content.ReadAsStringAsync()).ShouldContain("More proof asked for");
        var empty = await ui.SubmitAsync($"/requests/{id}", "identity-check", new Dictionary<string, string> { ["Identity.Method"] = "photo_id", ["Identity.Outcome"] = "passed" });
        empty.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var identity = await ui.SubmitAsync($"/requests/{id}", "identity-check", new Dictionary<string, string>
        {
            ["Identity.Method"] = "photo_id",
            ["Identity.Description"] = "Driving licence seen at the Leeds branch; photo matched",
            ["Identity.Outcome"] = "passed",
        });
        var afterIdentity = await identity.Content.ReadAsStringAsync();
        identity.StatusCode.ShouldBe(HttpStatusCode.OK, afterIdentity);
        afterIdentity.ShouldContain("Driving licence seen at the Leeds branch");
        afterIdentity.ShouldContain("waiting for identity proof");
        var authority = await ui.SubmitAsync($"/requests/{id}", "authority-check", new Dictionary<string, string>
        {
            ["Authority.Method"] = "written_authorisation",
            ["Authority.Description"] = "Signed authority form naming Lou Advocate",
            ["Authority.Outcome"] = "passed",
        });
        var verified = await authority.Content.ReadAsStringAsync();
        authority.StatusCode.ShouldBe(HttpStatusCode.OK, verified);
        verified.ShouldContain("The agent&#x27;s authority recorded.");
        verified.ShouldContain("<dt>State</dt><dd>verified</dd>");
        (await App.WithDbAsync(db => db.Set<SubjectRequest>().SingleAsync())).State.ShouldBe("verified");
    }

    [GeneratedRegex(@"\b\d{6}\b")]
    private static partial Regex Code();
}
