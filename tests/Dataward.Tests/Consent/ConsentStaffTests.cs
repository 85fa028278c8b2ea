using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataward.Consent;
using Dataward.Domain.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Consent;

public sealed class ConsentStaffTests_Sqlite() : ConsentStaffTests(StorageProvider.Sqlite);

public sealed class ConsentStaffTests_Postgres() : ConsentStaffTests(StorageProvider.Postgres);

/// <summary>The staff side of the ledger: a person's history (CNS023), proof exports (CNS022), the ISO/IEC TS 27560 view
/// (CNS006), counts over time, and erasure (CNS024), on both databases.</summary>
public abstract partial class ConsentStaffTests(StorageProvider provider) : AppTest(provider)
{
    private const string Ana = "Ana.Lopez@Example.com";
    private const string AnaNormalised = "ana.lopez@example.com";
    private const string NoticeBody = "# How we use your data\nWe send the newsletter once a month.";
    private const string Wording = "Send me the monthly newsletter";

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?> { ["Consent:MaxProofEvents"] = "5" };

    private sealed record Arranged(HttpClient Dpo, HttpClient App, string Version);

    private async Task<Arranged> ArrangeAsync(int? refreshAfterDays = null, bool children = false)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new
        {
            key = "newsletter",
            title = "Monthly newsletter",
            description = "News about our products, once a month.",
            refreshAfterDays,
        })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var purposes = new List<string> { "newsletter" };
        if (children)
        {
            (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "kids-club", title = "Kids' club", description = "Games and news.", children = true }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
            purposes.Add("kids-club");
        }
        var draft = await (await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title = "Privacy notice", body = NoticeBody, purposes }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var published = await (await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null)).Content.ReadFromJsonAsync<JsonElement>();
        return new Arranged(dpo, await App.ClientWithRoleAsync(StaffRoles.Staff), published.GetProperty("version").GetString()!);
    }

    private static async Task<Guid> RecordAsync(HttpClient app, string subject, string action, string? version = null, string purpose = "newsletter",
        object? extra = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["subject"] = subject,
            ["purpose"] = purpose,
            ["action"] = action,
            ["noticeVersion"] = action == "given" ? version : null,
            ["method"] = "web",
            ["evidence"] = new { formId = "signup", wording = Wording, language = "en" },
        };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                body[property.Name] = property.Value;
            }
        }
        var response = await app.PostAsJsonAsync("/api/consent/events", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("eventId").GetGuid();
    }

    private static string HistoryPath(string subject) => $"/api/consent/subjects/{Uri.EscapeDataString(subject)}/history";

    private async Task<List<Dataward.Domain.Audit.AuditEntry>> AuditAsync(string action) =>
        await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == action).OrderBy(e => e.Sequence).ToListAsync());

    private string HashOf(string subject) =>
        App.Services.GetRequiredService<KeyRing>().Hash(ConsentRules.NormaliseSubject(subject), ConsentService.SubjectHashPurpose);

    private static async Task<HttpStatusCode> StatusAsync(Task<HttpResponseMessage> request) => (await request).StatusCode;

    [Fact]
    public async Task CNS023_opening_a_subjects_history_is_audited_by_hash_and_shows_the_identifier_only_to_authorised_roles()
    {
        var arranged = await ArrangeAsync();
        var given = await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        await RecordAsync(arranged.App, Ana, "withdrawn");
        var hash = HashOf(Ana);

        var history = await arranged.Dpo.GetFromJsonAsync<JsonElement>(HistoryPath(Ana));
        history.GetProperty("subject").GetString().ShouldBe(AnaNormalised);
        history.GetProperty("identity").GetString().ShouldBe("present");
        history.GetProperty("subjectHash").GetString().ShouldBe(hash);
        var events = history.GetProperty("events").EnumerateArray().ToList();
        events.Select(e => e.GetProperty("action").GetString()).ShouldBe(["withdrawn", "given"]);
        events[1].GetProperty("eventId").GetGuid().ShouldBe(given);
        events[1].GetProperty("noticeVersion").GetString().ShouldBe(arranged.Version);
        events[1].GetProperty("evidence").GetProperty("wording").GetString().ShouldBe(Wording);
        events[1].GetProperty("receipt").GetString().ShouldBe($"/api/consent/receipts/{given}");
        events[1].GetProperty("auditHash").GetString()!.Length.ShouldBe(64);
        var state = history.GetProperty("states").EnumerateArray().Single(s => s.GetProperty("purpose").GetString() == "newsletter");
        state.GetProperty("state").GetString().ShouldBe("withdrawn");
        state.GetProperty("allowed").GetBoolean().ShouldBeFalse();

        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await auditor.GetAsync(HistoryPath(Ana))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var viewed = await AuditAsync("consent.history_viewed");
        viewed.Count.ShouldBe(2);
        viewed.ShouldAllBe(e => e.Target == $"consent-subject:{hash}");
        viewed[0].Details.ShouldContain("\"events\":2");

        // Staff may record and check consent, but not read who a person is.
        (await arranged.App.GetAsync(HistoryPath(Ana))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await AuditAsync("consent.history_viewed")).Count.ShouldBe(2);
        var trail = await App.WithDbAsync(db => db.AuditEntries.Select(e => e.Target + e.Details).ToListAsync());
        trail.ShouldAllBe(t => !t.Contains("lopez", StringComparison.OrdinalIgnoreCase));

        // Someone the ledger has never heard of: nothing to show, and the look-up is still audited.
        var unknown = await arranged.Dpo.GetFromJsonAsync<JsonElement>(HistoryPath("nobody@example.org"));
        unknown.GetProperty("identity").GetString().ShouldBe("none");
        unknown.GetProperty("events").GetArrayLength().ShouldBe(0);
        (await AuditAsync("consent.history_viewed")).Count.ShouldBe(3);
        (await arranged.Dpo.GetAsync(HistoryPath(new string('x', 321)))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task CNS022_proof_export_for_a_person_holds_events_receipts_the_notice_text_and_a_verified_chain_and_is_audited()
    {
        var arranged = await ArrangeAsync();
        var given = await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        await RecordAsync(arranged.App, Ana, "withdrawn");
        await RecordAsync(arranged.App, "bo@example.com", "given", arranged.Version);
        var hash = HashOf(Ana);

        var response = await arranged.Dpo.PostAsJsonAsync("/api/consent/proof", new { subject = Ana });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var proof = await response.Content.ReadFromJsonAsync<JsonElement>();
        proof.GetProperty("scope").GetProperty("subject").GetString().ShouldBe(AnaNormalised);
        proof.GetProperty("scope").GetProperty("subjectHash").GetString().ShouldBe(hash);
        var events = proof.GetProperty("events").EnumerateArray().ToList();
        events.Select(e => e.GetProperty("action").GetString()).ShouldBe(["given", "withdrawn"]);
        events.ShouldAllBe(e => e.GetProperty("anchored").GetBoolean() && e.GetProperty("auditSequence").GetInt64() > 0);
        events[0].GetProperty("receipt").GetProperty("consentReceiptID").GetString().ShouldBe(given.ToString());
        events[0].GetProperty("receipt").GetProperty("x-dataward").GetProperty("signature").GetString()!.Length.ShouldBe(64);
        events[0].GetProperty("evidence").GetProperty("wording").GetString().ShouldBe(Wording);
        var notice = proof.GetProperty("notices").EnumerateArray().Single();
        notice.GetProperty("version").GetString().ShouldBe(arranged.Version);
        notice.GetProperty("body").GetString().ShouldBe(NoticeBody);
        proof.GetProperty("auditChain").GetProperty("intact").GetBoolean().ShouldBeTrue();
        proof.GetProperty("auditChain").GetProperty("eventsAnchored").GetInt32().ShouldBe(2);
        proof.GetProperty("signature").GetString()!.Length.ShouldBe(64);
        proof.GetRawText().ShouldNotContain("bo@example.com");

        var html = await arranged.Dpo.PostAsJsonAsync("/api/consent/proof", new { subject = Ana, format = "html" });
        html.StatusCode.ShouldBe(HttpStatusCode.OK);
        html.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        html.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        html.Content.Headers.ContentDisposition.FileName!.ShouldNotContain("lopez", Case.Insensitive);
        var document = await html.Content.ReadAsStringAsync();
        document.ShouldStartWith("<!DOCTYPE html>");
        document.ShouldContain("Proof of consent");
        document.ShouldContain("We send the newsletter once a month.");
        document.ShouldContain(Wording);
        document.ShouldContain("verified intact");
        document.ShouldNotContain("<script", Case.Insensitive);
        document.ShouldNotContain("src=\"http", Case.Insensitive);

        var exported = await AuditAsync("consent.proof_exported");
        exported.Count.ShouldBe(2);
        exported.ShouldAllBe(e => e.Target == $"consent-subject:{hash}" && !e.Details.Contains("lopez"));
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await StatusAsync(auditor.PostAsJsonAsync("/api/consent/proof", new { subject = Ana }))).ShouldBe(HttpStatusCode.OK);
        (await arranged.App.PostAsJsonAsync("/api/consent/proof", new { subject = Ana })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task CNS022_proof_export_per_purpose_names_people_by_hash_only_and_is_bounded()
    {
        var arranged = await ArrangeAsync();
        await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        await RecordAsync(arranged.App, "bo@example.com", "given", arranged.Version);
        await RecordAsync(arranged.App, "cy@example.com", "withdrawn");

        var proof = await (await arranged.Dpo.PostAsJsonAsync("/api/consent/proof", new { purpose = "newsletter" })).Content.ReadFromJsonAsync<JsonElement>();
        proof.GetProperty("events").GetArrayLength().ShouldBe(3);
        proof.GetProperty("scope").GetProperty("subject").ValueKind.ShouldBe(JsonValueKind.Null);
        proof.GetRawText().ShouldNotContain("example.com", Case.Insensitive);
        (await AuditAsync("consent.proof_exported")).Single().Target.ShouldBe("purpose:newsletter");

        // Consent:MaxProofEvents is 5 here: a sixth event is one too many for a single export.
        App.Time.Advance(TimeSpan.FromHours(1));
        await RecordAsync(arranged.App, "di@example.com", "given", arranged.Version);
        await RecordAsync(arranged.App, "ed@example.com", "given", arranged.Version);
        (await arranged.Dpo.PostAsJsonAsync("/api/consent/proof", new { purpose = "newsletter" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        await RecordAsync(arranged.App, "fay@example.com", "given", arranged.Version);
        var tooMany = await arranged.Dpo.PostAsJsonAsync("/api/consent/proof", new { purpose = "newsletter" });
        tooMany.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        var problem = await tooMany.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("limit").GetInt32().ShouldBe(5);
        problem.GetProperty("ruleId").GetString().ShouldBe("CNS022");
        // A narrower period fits again.
        (await arranged.Dpo.PostAsJsonAsync("/api/consent/proof", new { purpose = "newsletter", from = App.Time.GetUtcNow().AddMinutes(-1) }))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        (await AuditAsync("consent.proof_exported")).Count.ShouldBe(3);
    }

    [Theory]
    [InlineData("""{"purpose":"no-such-purpose"}""", "purpose")]
    [InlineData("""{}""", "subject")]
    [InlineData("""{"subject":"ana@example.com","format":"pdf"}""", "format")]
    [InlineData("""{"subject":"   "}""", "subject")]
    [InlineData("""{"purpose":"newsletter","from":"2026-12-01T00:00:00Z","to":"2026-01-01T00:00:00Z"}""", "from")]
    public async Task CNS022_a_proof_request_that_cannot_be_answered_is_refused_naming_the_field_and_nothing_is_exported(string body, string field)
    {
        var arranged = await ArrangeAsync();
        var response = await arranged.Dpo.PostAsync("/api/consent/proof", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(field);
        (await AuditAsync("consent.proof_exported")).ShouldBeEmpty();
    }

    [Fact]
    public async Task CNS006_the_iso_27560_view_holds_the_pairs_whole_life_under_a_name_based_record_id_and_a_signature()
    {
        var arranged = await ArrangeAsync(refreshAfterDays: 30);
        var first = await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        App.Time.Advance(TimeSpan.FromDays(1));
        await RecordAsync(arranged.App, Ana, "withdrawn");
        App.Time.Advance(TimeSpan.FromDays(1));
        var last = await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        var hash = HashOf(Ana);

        var record = await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/receipts/{first}?format=iso-27560");
        record.GetProperty("record_id").GetGuid().ShouldBe(NameBasedUuid.ConsentRecordId(hash, "newsletter"));
        record.GetProperty("pii_principal_id").GetString().ShouldBe(hash);
        record.GetProperty("schema_version").GetString()!.ShouldContain("27560");
        record.GetProperty("notice").GetProperty("notice_id").GetString().ShouldBe(arranged.Version);
        var purpose = record.GetProperty("purposes").EnumerateArray().Single();
        purpose.GetProperty("lawful_basis").GetString().ShouldBe("consent");
        purpose.GetProperty("collection_method").GetString().ShouldBe("web");
        purpose.GetProperty("privacy_rights").EnumerateArray().Select(r => r.GetString()).ShouldContain("withdrawConsent");
        purpose.GetProperty("withdrawal_method").GetString()!.ShouldContain("privacy centre");
        var events = record.GetProperty("events").EnumerateArray().ToList();
        events.Select(e => e.GetProperty("event_state").GetString()).ShouldBe(["given", "withdrawn", "given"]);
        events.ShouldAllBe(e => e.GetProperty("event_type").GetString() == "expressed" && e.GetProperty("event_by").GetString() == "controller");
        events[0].GetProperty("validity_duration").GetString().ShouldBe("P30D");
        record.GetProperty("x-dataward").GetProperty("signature").GetString()!.Length.ShouldBe(64);
        record.GetRawText().ShouldNotContain("lopez", Case.Insensitive);

        // One record per (subject, purpose): reached from any of its events, with the same id.
        var again = await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/receipts/{last}?format=ISO-27560");
        again.GetProperty("record_id").GetGuid().ShouldBe(NameBasedUuid.ConsentRecordId(hash, "newsletter"));

        // Expiry is derived at check time; the record shows it as the event it amounts to.
        App.Time.Advance(TimeSpan.FromDays(31));
        var expired = await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/receipts/{last}?format=iso-27560");
        expired.GetProperty("events").EnumerateArray().Last().GetProperty("event_state").GetString().ShouldBe("expired");

        // CNS011: a withdrawal with nothing before it is a refusal.
        var refusal = await RecordAsync(arranged.App, "bo@example.com", "withdrawn");
        (await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/receipts/{refusal}?format=iso-27560"))
            .GetProperty("events").EnumerateArray().Single().GetProperty("event_state").GetString().ShouldBe("refused");

        var bad = await arranged.App.GetAsync($"/api/consent/receipts/{first}?format=xml");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("format", out _).ShouldBeTrue();
        (await arranged.App.GetAsync($"/api/consent/receipts/{Guid.NewGuid()}?format=iso-27560")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/receipts/{first}?format=kantara"))
            .GetProperty("version").GetString().ShouldBe("KI-CR-v1.1.0");
    }

    [Fact]
    public async Task Counts_per_purpose_over_time_are_cumulative_from_the_running_total_before_the_period()
    {
        var arranged = await ArrangeAsync();
        var day0 = DateOnly.FromDateTime(App.Time.GetUtcNow().UtcDateTime);
        await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        await RecordAsync(arranged.App, "bo@example.com", "given", arranged.Version);
        await RecordAsync(arranged.App, "bo@example.com", "given", arranged.Version); // a repeat changes nothing
        App.Time.Advance(TimeSpan.FromDays(2));
        await RecordAsync(arranged.App, Ana, "withdrawn");
        await RecordAsync(arranged.App, "cy@example.com", "withdrawn"); // a refusal changes nothing
        App.Time.Advance(TimeSpan.FromDays(1));
        await RecordAsync(arranged.App, "di@example.com", "given", arranged.Version);

        var series = await arranged.App.GetFromJsonAsync<JsonElement>(
            $"/api/consent/purposes/newsletter/counts?from={day0.AddDays(1):yyyy-MM-dd}&to={day0.AddDays(3):yyyy-MM-dd}");
        series.GetProperty("before").GetInt32().ShouldBe(2);
        series.GetProperty("granularity").GetString().ShouldBe("day");
        series.GetProperty("points").EnumerateArray().Select(p => (p.GetProperty("date").GetString(), p.GetProperty("count").GetInt32()))
            .ShouldBe([($"{day0.AddDays(1):yyyy-MM-dd}", 2), ($"{day0.AddDays(2):yyyy-MM-dd}", 1), ($"{day0.AddDays(3):yyyy-MM-dd}", 2)]);

        // By default the last 90 days, today included.
        var recent = await arranged.App.GetFromJsonAsync<JsonElement>("/api/consent/purposes/newsletter/counts");
        var points = recent.GetProperty("points").EnumerateArray().ToList();
        points.Count.ShouldBe(90);
        points[^1].GetProperty("count").GetInt32().ShouldBe(2);
        recent.GetProperty("before").GetInt32().ShouldBe(0);

        (await arranged.App.GetAsync("/api/consent/purposes/nope/counts")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var reversed = await arranged.App.GetAsync($"/api/consent/purposes/newsletter/counts?from={day0:yyyy-MM-dd}&to={day0.AddDays(-1):yyyy-MM-dd}");
        reversed.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await reversed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("from", out _).ShouldBeTrue();
        (await arranged.App.GetAsync("/api/consent/purposes/newsletter/counts?from=notadate")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await arranged.App.GetAsync("/api/consent/purposes/newsletter/counts?from=0001-01-01&to=9999-12-31")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task CNS024_erasure_drops_the_identifiers_keeps_the_events_and_the_ledger_still_answers()
    {
        var arranged = await ArrangeAsync(children: true);
        await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        var receipt = (await App.WithDbAsync(db => db.Set<Dataward.Platform.Email.OutboxMessage>().SingleAsync(m => m.Purpose == "consent.receipt"))).Decrypted(App);
        await RecordAsync(arranged.App, Ana, "given", arranged.Version, "kids-club", new { age = 12, parentEmail = "parent.of.ana@example.org" });
        await RecordAsync(arranged.App, "bo@example.com", "given", arranged.Version);
        var link = WithdrawalLink().Match(receipt.Body);
        link.Success.ShouldBeTrue(receipt.Body);
        var hash = HashOf(Ana);
        var ciphertexts = (await App.WithDbAsync(db => db.Set<ConsentEvent>().Where(e => e.SubjectHash == hash).ToListAsync()))
            .SelectMany(e => new[] { e.SubjectEncrypted, e.ParentEncrypted }).OfType<string>().ToList();
        ciphertexts.Count.ShouldBe(3, "two identifiers and one parent's address");

        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await StatusAsync(auditor.PostAsJsonAsync("/api/consent/subjects/erase", new { subject = Ana }))).ShouldBe(HttpStatusCode.Forbidden);
        (await arranged.App.PostAsJsonAsync("/api/consent/subjects/erase", new { subject = Ana })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var erased = await arranged.Dpo.PostAsJsonAsync("/api/consent/subjects/erase", new { subject = Ana });
        erased.StatusCode.ShouldBe(HttpStatusCode.OK, await erased.Content.ReadAsStringAsync());
        var counts = await erased.Content.ReadFromJsonAsync<JsonElement>();
        counts.GetProperty("eventsErased").GetInt32().ShouldBe(2);
        counts.GetProperty("eventsKept").GetInt32().ShouldBe(2);
        counts.GetProperty("subjectHash").GetString().ShouldBe(hash);

        // The rows keep the hash only; the other person is untouched.
        var rows = await App.WithDbAsync(db => db.Set<ConsentEvent>().AsNoTracking().ToListAsync());
        rows.Where(e => e.SubjectHash == hash).ShouldAllBe(e => e.SubjectEncrypted == null && e.ParentEncrypted == null);
        rows.Where(e => e.SubjectHash != hash).ShouldAllBe(e => e.SubjectEncrypted != null);
        if (Provider == StorageProvider.Sqlite)
        {
            // Read while the server's connections stay open, as they do in production: the write-ahead log counts too.
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(App.Database.ConnectionString).DataSource;
            foreach (var path in new[] { file, file + "-wal", file + "-journal" }.Where(File.Exists))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
                var content = await reader.ReadToEndAsync();
                foreach (var ciphertext in ciphertexts)
                {
                    // The random part of the ciphertext: nothing else in the file could contain it by chance.
                    content.ShouldNotContain(ciphertext.Split('.')[2][..24], customMessage: path);
                }
            }
        }

        // The history still lists every event, with the identity erased.
        var history = await arranged.Dpo.GetFromJsonAsync<JsonElement>(HistoryPath(Ana));
        history.GetProperty("identity").GetString().ShouldBe("erased");
        history.GetProperty("subject").ValueKind.ShouldBe(JsonValueKind.Null);
        history.GetProperty("events").GetArrayLength().ShouldBe(2);

        // Checks answer from the ledger as before, and the earlier withdrawal link still withdraws.
        (await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Uri.EscapeDataString(Ana)}&purpose=newsletter"))
            .GetProperty("allowed").GetBoolean().ShouldBeTrue();
        (await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Uri.EscapeDataString(Ana)}&purpose=kids-club"))
            .GetProperty("state").GetString().ShouldBe("pending-parent");
        var person = App.Ui();
        var withdrawn = await person.SubmitAsync(link.Groups[1].Value, "withdraw", new Dictionary<string, string> { ["t"] = link.Groups[1].Value.Split("t=")[1] });
        (await withdrawn.Content.ReadAsStringAsync()).ShouldContain("Your consent is withdrawn");
        (await arranged.App.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Uri.EscapeDataString(Ana)}&purpose=newsletter"))
            .GetProperty("allowed").GetBoolean().ShouldBeFalse();
        var after = await App.WithDbAsync(db => db.Set<ConsentEvent>().Where(e => e.SubjectHash == hash).ToListAsync());
        after.Count.ShouldBe(3);
        after.ShouldAllBe(e => e.SubjectEncrypted == null);
        (await App.WithDbAsync(db => db.Set<ConsentSuppressionRecord>().AnyAsync(s => s.SubjectHash == hash && s.Purpose == "newsletter"))).ShouldBeTrue();

        var audited = (await AuditAsync("consent.subject_erased")).Single();
        audited.Target.ShouldBe($"consent-subject:{hash}");
        audited.Details.ShouldNotContain("lopez");
        var again = await (await arranged.Dpo.PostAsJsonAsync("/api/consent/subjects/erase", new { subject = Ana })).Content.ReadFromJsonAsync<JsonElement>();
        again.GetProperty("eventsErased").GetInt32().ShouldBe(0);
        (await arranged.Dpo.PostAsJsonAsync("/api/consent/subjects/erase", new { subject = "" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify")).GetProperty("intact").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task CNS024_an_erasure_inside_a_callers_transaction_commits_or_rolls_back_with_it()
    {
        var arranged = await ArrangeAsync();
        await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        var hash = HashOf(Ana);
        async Task<bool> EraseAsync(bool commit)
        {
            await using var scope = App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DatawardDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            var outcome = await scope.ServiceProvider.GetRequiredService<ConsentSubjects>().EraseSubjectAsync(Ana, "user:request");
            outcome.Value!.EventsErased.ShouldBe(1);
            if (commit)
            {
                await transaction.CommitAsync();
            }
            return commit;
        }
        async Task<bool> HeldAsync() => await App.WithDbAsync(db => db.Set<ConsentEvent>().AnyAsync(e => e.SubjectHash == hash && e.SubjectEncrypted != null));

        await EraseAsync(commit: false);
        (await HeldAsync()).ShouldBeTrue("rolled back with the caller");
        (await AuditAsync("consent.subject_erased")).ShouldBeEmpty();
        await EraseAsync(commit: true);
        (await HeldAsync()).ShouldBeFalse();
        (await AuditAsync("consent.subject_erased")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task CNS005_the_database_refuses_any_change_to_an_event_but_erasing_its_identifiers()
    {
        var arranged = await ArrangeAsync();
        await RecordAsync(arranged.App, Ana, "given", arranged.Version);
        string[] refused =
        [
            "UPDATE consent_events SET action = 'withdrawn'",
            "UPDATE consent_events SET evidence = '[]'",
            "UPDATE consent_events SET count_change = 0",
            "UPDATE consent_events SET subject_encrypted = 'v1.other.AAAA'",
            "DELETE FROM consent_events",
        ];
        foreach (var sql in refused)
        {
            string? failure = null;
            try
            {
                await App.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(sql));
            }
            catch (System.Data.Common.DbException e)
            {
                failure = e.Message;
            }
            failure.ShouldNotBeNull(sql);
            failure.ShouldContain("append-only", customMessage: sql);
        }
        var row = await App.WithDbAsync(db => db.Set<ConsentEvent>().AsNoTracking().SingleAsync());
        (row.Action, row.CountChange, row.SubjectEncrypted is null).ShouldBe(("given", 1, false));
        (await App.WithDbAsync(db => db.Database.ExecuteSqlRawAsync("UPDATE consent_events SET subject_encrypted = NULL"))).ShouldBe(1);
    }

    [GeneratedRegex(@"(/privacy/withdraw\?t=[A-Za-z0-9._-]+)")]
    private static partial Regex WithdrawalLink();
}
