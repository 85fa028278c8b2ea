using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Consent;

public sealed class ConsentApiTests_Sqlite() : ConsentApiTests(StorageProvider.Sqlite);

public sealed class ConsentApiTests_Postgres() : ConsentApiTests(StorageProvider.Postgres);

/// <summary>The consent ledger through its API: purposes, notices, events, checks and receipts, on both databases.</summary>
public abstract class ConsentApiTests(StorageProvider provider) : AppTest(provider)
{
    private const string Ana = "Ana.Lopez@Example.com";

    private async Task<(HttpClient Dpo, HttpClient App, string Version)> ArrangeAsync(bool explicitPurpose = false, int? refreshAfterDays = null)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new
        {
            key = "newsletter",
            title = "Monthly newsletter",
            description = "News about our products, once a month.",
            @explicit = explicitPurpose,
            refreshAfterDays,
        })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var draft = await (await dpo.PostAsJsonAsync("/api/notices", new
        {
            language = "en",
            title = "Privacy notice",
            body = "# How we use your data\n...",
            substantial = true,
            purposes = new[] { "newsletter" },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var published = await (await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null)).Content.ReadFromJsonAsync<JsonElement>();
        return (dpo, await App.ClientWithRoleAsync(StaffRoles.Staff), published.GetProperty("version").GetString()!);
    }

    private static async Task<JsonElement> CheckAsync(HttpClient client, string subject, string purpose) =>
        await client.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Uri.EscapeDataString(subject)}&purpose={purpose}");

    [Fact]
    public async Task CNS013_consent_given_then_withdrawn_is_allowed_then_denied_at_once_with_its_basis()
    {
        var (_, app, version) = await ArrangeAsync();
        (await CheckAsync(app, Ana, "newsletter")).GetProperty("allowed").GetBoolean().ShouldBeFalse();

        var given = await app.PostAsJsonAsync("/api/consent/events", new
        {
            subject = Ana,
            purpose = "newsletter",
            action = "given",
            noticeVersion = version,
            method = "api",
            evidence = new { formId = "signup", wording = "Send me the monthly newsletter", language = "en" },
        });
        given.StatusCode.ShouldBe(HttpStatusCode.Created, await given.Content.ReadAsStringAsync());
        var eventId = (await given.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("eventId").GetGuid();

        // Identifiers are compared normalised: case and spaces do not matter for e-mail addresses.
        var allowed = await CheckAsync(app, "  ana.lopez@example.COM ", "newsletter");
        allowed.GetProperty("allowed").GetBoolean().ShouldBeTrue();
        allowed.GetProperty("eventId").GetGuid().ShouldBe(eventId);
        allowed.GetProperty("noticeVersion").GetString().ShouldBe(version);

        (await app.PostAsJsonAsync("/api/consent/events", new { subject = Ana, purpose = "newsletter", action = "withdrawn", method = "api" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var denied = await CheckAsync(app, Ana, "newsletter");
        denied.GetProperty("allowed").GetBoolean().ShouldBeFalse();
        denied.GetProperty("state").GetString().ShouldBe("withdrawn");
    }

    [Fact]
    public async Task Consent_is_allowed_until_the_purposes_refresh_period_has_passed_then_denied_as_expired()
    {
        var (_, app, version) = await ArrangeAsync(refreshAfterDays: 30);
        var given = await app.PostAsJsonAsync("/api/consent/events",
            new { subject = Ana, purpose = "newsletter", action = "given", noticeVersion = version, method = "api" });
        given.StatusCode.ShouldBe(HttpStatusCode.Created, await given.Content.ReadAsStringAsync());
        var eventId = (await given.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("eventId").GetGuid();

        App.Time.Advance(TimeSpan.FromDays(30));
        var lastDay = await CheckAsync(app, Ana, "newsletter");
        lastDay.GetProperty("allowed").GetBoolean().ShouldBeTrue();
        lastDay.GetProperty("state").GetString().ShouldBe("given");

        App.Time.Advance(TimeSpan.FromSeconds(1));
        var expired = await CheckAsync(app, Ana, "newsletter");
        expired.GetProperty("allowed").GetBoolean().ShouldBeFalse();
        expired.GetProperty("state").GetString().ShouldBe("expired");
        expired.GetProperty("eventId").GetGuid().ShouldBe(eventId);
        expired.GetProperty("noticeVersion").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Simultaneous_first_events_for_one_subject_are_all_recorded_and_the_state_is_the_last()
    {
        var (_, _, version) = await ArrangeAsync();
        var clients = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => App.ClientWithRoleAsync(StaffRoles.Staff)));
        var responses = await Task.WhenAll(clients.Select(c => c.PostAsJsonAsync("/api/consent/events",
            new { subject = "race@example.com", purpose = "newsletter", action = "given", noticeVersion = version, method = "api" })));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        (await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().CountAsync())).ShouldBe(6);
        (await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentStateRecord>().CountAsync())).ShouldBe(1);
        (await CheckAsync(clients[0], "race@example.com", "newsletter")).GetProperty("allowed").GetBoolean().ShouldBeTrue();
        var auditor = await App.ClientWithRoleAsync(StaffRoles.Auditor);
        (await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify")).GetProperty("intact").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task CNS011_a_withdrawal_never_preceded_by_consent_is_recorded_as_a_refusal()
    {
        var (_, app, _) = await ArrangeAsync();
        var refused = await app.PostAsJsonAsync("/api/consent/events", new { subject = "bo@example.com", purpose = "newsletter", action = "withdrawn", method = "web" });
        refused.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString().ShouldBe("refused");
        (await CheckAsync(app, "bo@example.com", "newsletter")).GetProperty("allowed").GetBoolean().ShouldBeFalse();
    }

    [Theory]
    [InlineData("unknown-purpose", "1", false, "purpose", "CNS003")]
    [InlineData("newsletter", "999", false, "noticeVersion", "CNS003")]
    [InlineData("newsletter", null, false, "noticeVersion", "CNS003")]
    [InlineData("newsletter", "1", true, "evidence.preChecked", "CNS004")]
    public async Task Invalid_events_are_refused_naming_the_field_and_nothing_is_recorded(string purpose, string? version, bool preChecked, string field, string rule)
    {
        var (_, app, _) = await ArrangeAsync();
        var response = await app.PostAsJsonAsync("/api/consent/events", new
        {
            subject = Ana,
            purpose,
            action = "given",
            noticeVersion = version,
            method = "web",
            evidence = new { preChecked, wording = "Yes please" },
        });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("ruleId").GetString().ShouldBe(rule);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
        (await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task CNS025_future_events_and_backdated_web_events_are_refused_but_paper_may_be_backdated()
    {
        var (_, app, version) = await ArrangeAsync();
        var future = await app.PostAsJsonAsync("/api/consent/events", new
        {
            subject = Ana,
            purpose = "newsletter",
            action = "withdrawn",
            method = "api",
            occurredAt = App.Time.GetUtcNow().AddHours(1),
        });
        (await future.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ruleId").GetString().ShouldBe("CNS025");
        var backdatedWeb = await app.PostAsJsonAsync("/api/consent/events", new
        {
            subject = Ana,
            purpose = "newsletter",
            action = "given",
            noticeVersion = version,
            method = "web",
            occurredAt = App.Time.GetUtcNow().AddDays(-3),
        });
        backdatedWeb.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var paper = await app.PostAsJsonAsync("/api/consent/events", new
        {
            subject = Ana,
            purpose = "newsletter",
            action = "given",
            noticeVersion = version,
            method = "paper",
            occurredAt = App.Time.GetUtcNow().AddDays(-3),
            evidence = new { documentRef = "scan-0042", wording = "Send me the newsletter" },
        });
        paper.StatusCode.ShouldBe(HttpStatusCode.Created, await paper.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CNS002_a_purpose_with_records_can_be_retired_but_not_deleted_and_then_takes_only_withdrawals()
    {
        var (dpo, app, version) = await ArrangeAsync();
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "Bad Key!", title = "x", description = "y" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "newsletter", title = "x", description = "y" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        await app.PostAsJsonAsync("/api/consent/events", new { subject = Ana, purpose = "newsletter", action = "given", noticeVersion = version, method = "api" });

        (await dpo.DeleteAsync("/api/consent/purposes/newsletter")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await dpo.PostAsync("/api/consent/purposes/newsletter/retire", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var given = await app.PostAsJsonAsync("/api/consent/events", new { subject = "bo@example.com", purpose = "newsletter", action = "given", noticeVersion = version, method = "api" });
        given.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await app.PostAsJsonAsync("/api/consent/events", new { subject = Ana, purpose = "newsletter", action = "withdrawn", method = "api" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await app.PostAsJsonAsync("/api/consent/purposes", new { key = "x1", title = "x", description = "y" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task CNS015_explicit_consent_needs_the_wording_through_an_express_channel()
    {
        var (_, app, version) = await ArrangeAsync(explicitPurpose: true);
        var viaApi = await app.PostAsJsonAsync("/api/consent/events", new { subject = Ana, purpose = "newsletter", action = "given", noticeVersion = version, method = "api" });
        (await viaApi.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ruleId").GetString().ShouldBe("CNS015");
        var viaWeb = await app.PostAsJsonAsync("/api/consent/events", new
        {
            subject = Ana,
            purpose = "newsletter",
            action = "given",
            noticeVersion = version,
            method = "web",
            evidence = new { wording = "I agree to receive the newsletter about my health plan" },
        });
        viaWeb.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task CNS012_CNS014_batch_checks_answer_each_pair_and_refuse_more_than_the_limit()
    {
        var (_, app, version) = await ArrangeAsync();
        await app.PostAsJsonAsync("/api/consent/events", new { subject = Ana, purpose = "newsletter", action = "given", noticeVersion = version, method = "api" });
        var batch = await app.PostAsJsonAsync("/api/consent/check", new
        {
            items = new[] { new { subject = Ana, purpose = "newsletter" }, new { subject = "nobody@example.com", purpose = "newsletter" }, new { subject = Ana, purpose = "nope" } },
        });
        var results = await batch.Content.ReadFromJsonAsync<JsonElement>();
        results.EnumerateArray().Select(r => r.GetProperty("allowed").GetBoolean()).ShouldBe([true, false, false]);
        results[2].GetProperty("error").GetString()!.ShouldContain("nope");
        (await app.GetAsync("/api/consent/check?subject=a@b.c&purpose=nope")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var tooMany = await app.PostAsJsonAsync("/api/consent/check", new { items = Enumerable.Range(0, 10_000).Select(i => new { subject = $"s{i}", purpose = "newsletter" }) });
        tooMany.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        (await tooMany.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("limit").GetInt32().ShouldBe(1000);
    }

    [Fact]
    public async Task CNS006_every_event_has_a_receipt_anchored_in_the_audit_trail_without_the_address()
    {
        var (dpo, app, version) = await ArrangeAsync();
        await dpo.PutAsJsonAsync("/api/register/organisation", new { name = "Example Ltd", dpo = new { name = "Dana", email = "dpo@example.org" }, jurisdictions = new[] { "UK" } });
        var given = await (await app.PostAsJsonAsync("/api/consent/events", new
        {
            subject = Ana,
            purpose = "newsletter",
            action = "given",
            noticeVersion = version,
            method = "web",
            evidence = new { formId = "signup", wording = "Yes", language = "en" },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var receiptText = await app.GetStringAsync(given.GetProperty("receipt").GetString());
        var receipt = JsonDocument.Parse(receiptText).RootElement;
        receipt.GetProperty("version").GetString().ShouldBe("KI-CR-v1.1.0");
        receipt.GetProperty("consentReceiptID").GetString().ShouldBe(given.GetProperty("eventId").GetString());
        receipt.GetProperty("piiControllers")[0].GetProperty("piiController").GetString().ShouldBe("Example Ltd");
        receipt.GetProperty("services")[0].GetProperty("purposes")[0].GetProperty("purpose").GetString().ShouldBe("Monthly newsletter");
        receiptText.ShouldNotContain("example.com", Case.Insensitive);
        var auditHash = receipt.GetProperty("x-dataward").GetProperty("auditHash").GetString();
        var entry = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Hash == auditHash));
        entry.Action.ShouldBe("consent.given");
        entry.Details.ShouldNotContain("example.com", Case.Insensitive);
        (await app.GetAsync($"/api/consent/receipts/{Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_subjects_identifier_never_appears_in_clear_in_the_database()
    {
        var (_, app, version) = await ArrangeAsync();
        await app.PostAsJsonAsync("/api/consent/events", new { subject = "seeded.person@example.net", purpose = "newsletter", action = "given", noticeVersion = version, method = "api" });
        await app.PostAsJsonAsync("/api/consent/events", new { subject = "seeded.person@example.net", purpose = "newsletter", action = "withdrawn", method = "api" });
        await app.PostAsJsonAsync("/api/consent/events", new { subject = "seeded.person@example.net", purpose = "newsletter", action = "given", noticeVersion = version, method = "api" });
        // A child's consent names a parent, and a substantial notice change e-mails everyone concerned: neither address is kept in clear.
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "kids-club", title = "Kids club", description = "Club news.", children = true })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var draft = await (await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title = "N", body = "B", substantial = true, purposes = new[] { "newsletter", "kids-club" } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var v2 = (await (await dpo.PostAsync($"/api/notices/{draft.GetProperty("id").GetGuid()}/publish", null)).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("version").GetString();
        (await app.PostAsJsonAsync("/api/consent/events", new { subject = "seeded.child@example.net", purpose = "kids-club", action = "given", noticeVersion = v2, method = "web", age = 10, parentEmail = "seeded.parent@example.net" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await App.WithDbAsync(db => db.Set<Dataward.Platform.Email.OutboxMessage>().CountAsync(m => m.Purpose == "consent.renewal"))).ShouldBe(1);
        if (Provider == StorageProvider.Sqlite)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(App.Database.ConnectionString).DataSource;
            foreach (var path in new[] { file, file + "-wal" }.Where(File.Exists))
            {
                var bytes = await File.ReadAllBytesAsync(path);
                var text = System.Text.Encoding.UTF8.GetString(bytes);
                text.ShouldNotContain("seeded.", customMessage: path);
                System.Text.Encoding.Unicode.GetString(bytes).ShouldNotContain("seeded.", customMessage: path);
            }
        }
        var rows = await App.WithDbAsync(db => db.Set<Dataward.Consent.ConsentEvent>().Select(e => e.SubjectHash + e.SubjectEncrypted + e.Evidence + e.ParentEncrypted).ToListAsync());
        rows.ShouldAllBe(r => !r.Contains("seeded."));
        var queued = await App.WithDbAsync(db => db.Set<Dataward.Platform.Email.OutboxMessage>().Select(m => m.To + m.Body).ToListAsync());
        queued.ShouldAllBe(m => !m.Contains("seeded."));
    }

    // Subjects of the concurrency tests: given, given then withdrawn, and never seen; purposes: with events, without
    // any, and one that does not exist (404 alone, an error item in a batch).
    private static readonly string[] Subjects = [.. Enumerable.Range(0, 12).Select(i => $"subject{i}@example.com")];
    private static readonly string[] Purposes = ["newsletter", "offers", "nope"];

    private async Task<(HttpClient App, (string Subject, string Purpose)[] Pairs, string Version)> ArrangeMixAsync()
    {
        var (dpo, app, version) = await ArrangeAsync();
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "offers", title = "Offers", description = "Special offers." }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        for (var i = 0; i < 8; i++)
        {
            (await app.PostAsJsonAsync("/api/consent/events", new { subject = Subjects[i], purpose = "newsletter", action = "given", noticeVersion = version, method = "api" }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
            if (i % 3 == 0)
            {
                (await app.PostAsJsonAsync("/api/consent/events", new { subject = Subjects[i], purpose = "newsletter", action = "withdrawn", method = "api" }))
                    .StatusCode.ShouldBe(HttpStatusCode.Created);
            }
        }
        return (app, [.. Enumerable.Range(0, 200).Select(i => (Subjects[i * 7 % Subjects.Length], Purposes[i % 5 == 4 ? 2 : i % 3 == 2 ? 1 : 0]))], version);
    }

    // What a single check answers, as one comparable line: status, then the decision and its basis.
    private static async Task<string> AnswerAsync(HttpClient client, string subject, string purpose)
    {
        var response = await client.GetAsync($"/api/consent/check?subject={Uri.EscapeDataString(subject)}&purpose={purpose}");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            return $"{(int)response.StatusCode} {problem.GetProperty("detail").GetString()}";
        }
        var check = await response.Content.ReadFromJsonAsync<JsonElement>();
        return $"200 {check.GetProperty("allowed")} {check.GetProperty("state")} {check.GetProperty("eventId")} {check.GetProperty("noticeVersion")}";
    }

    [Fact]
    public async Task CNS012_many_concurrent_checks_each_get_the_answer_a_single_check_gives()
    {
        var (app, pairs, _) = await ArrangeMixAsync();
        var single = new Dictionary<(string, string), string>();
        foreach (var pair in pairs.Distinct())
        {
            single[pair] = await AnswerAsync(app, pair.Subject, pair.Purpose);
        }
        single.Values.ShouldContain(a => a.StartsWith("200 True given", StringComparison.Ordinal));
        single.Values.ShouldContain(a => a.StartsWith("200 False withdrawn", StringComparison.Ordinal));
        single.Values.ShouldContain(a => a.StartsWith("200 False none", StringComparison.Ordinal));
        single.Values.ShouldContain(a => a.StartsWith("404 ", StringComparison.Ordinal) && a.Contains("'nope'"));

        var concurrent = await Task.WhenAll(pairs.Select(pair => Task.Run(() => AnswerAsync(app, pair.Subject, pair.Purpose))));

        concurrent.ShouldBe(pairs.Select(pair => single[pair]).ToArray());
    }

    [Fact]
    public async Task CNS013_a_committed_withdrawal_denies_the_next_check_while_other_checks_are_in_flight()
    {
        var (app, pairs, version) = await ArrangeMixAsync();
        var expected = new Dictionary<(string, string), string>();
        foreach (var pair in pairs.Distinct())
        {
            expected[pair] = await AnswerAsync(app, pair.Subject, pair.Purpose);
        }
        var stop = new TaskCompletionSource();
        var wrong = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // Other applications keep checking other subjects throughout; their answers must not change either.
        var others = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var made = 0;
            do
            {
                var pair = pairs[(worker * 31 + made) % pairs.Length];
                var answer = await AnswerAsync(app, pair.Subject, pair.Purpose);
                if (answer != expected[pair])
                {
                    wrong.Enqueue($"{pair}: {answer}");
                }
                made++;
            }
            while (!stop.Task.IsCompleted);
            return made;
        })).ToArray();

        for (var round = 0; round < 10; round++)
        {
            (await app.PostAsJsonAsync("/api/consent/events", new { subject = Ana, purpose = "newsletter", action = "given", noticeVersion = version, method = "api" }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
            (await CheckAsync(app, Ana, "newsletter")).GetProperty("allowed").GetBoolean().ShouldBeTrue();
            (await app.PostAsJsonAsync("/api/consent/events", new { subject = Ana, purpose = "newsletter", action = "withdrawn", method = "api" }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
            var denied = await CheckAsync(app, Ana, "newsletter");
            denied.GetProperty("allowed").GetBoolean().ShouldBeFalse($"round {round}");
            denied.GetProperty("state").GetString().ShouldBe("withdrawn");
        }
        stop.SetResult();

        (await Task.WhenAll(others)).ShouldAllBe(made => made > 0);
        wrong.ShouldBeEmpty();
    }

    [Fact]
    public async Task CNS012_a_batch_of_pairs_answers_each_pair_as_a_single_check_does()
    {
        var (app, pairs, _) = await ArrangeMixAsync();
        var items = pairs.Take(60).ToArray();
        var response = await app.PostAsJsonAsync("/api/consent/check", new { items = items.Select(p => new { subject = p.Subject, purpose = p.Purpose }) });
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToArray();

        results.Length.ShouldBe(items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            var single = await AnswerAsync(app, items[i].Subject, items[i].Purpose);
            var result = results[i];
            result.GetProperty("subject").GetString().ShouldBe(items[i].Subject);
            result.GetProperty("purpose").GetString().ShouldBe(items[i].Purpose);
            var answer = result.GetProperty("error").ValueKind == JsonValueKind.Null
                ? $"200 {result.GetProperty("allowed")} {result.GetProperty("state")} {result.GetProperty("eventId")} {result.GetProperty("noticeVersion")}"
                : $"404 {result.GetProperty("error").GetString()!.Replace("purpose: ", "", StringComparison.Ordinal)}";
            answer.ShouldBe(single, $"pair {i}");
        }
    }

    [Fact]
    public async Task CNS012_a_check_given_up_by_its_caller_does_not_cancel_the_checks_answered_with_it()
    {
        var (_, pairs, _) = await ArrangeMixAsync();
        var checks = App.Services.GetRequiredService<Dataward.Consent.ConsentChecks>();
        static string Line(Dataward.Domain.Outcome<Dataward.Consent.ConsentCheck> o) =>
            o.Succeeded ? $"{o.Value!.Allowed} {o.Value.State} {o.Value.EventId}" : o.Describe();
        var expected = new Dictionary<(string, string), string>();
        foreach (var pair in pairs.Distinct())
        {
            expected[pair] = Line(await checks.CheckAsync(pair.Subject, pair.Purpose, TestContext.Current.CancellationToken));
        }
        var givenUp = pairs.Select(_ => new CancellationTokenSource()).ToArray();

        var running = pairs.Select((pair, i) => checks.CheckAsync(pair.Subject, pair.Purpose, i % 3 == 0 ? givenUp[i].Token : CancellationToken.None)).ToArray();
        foreach (var source in givenUp.Where((_, i) => i % 3 == 0))
        {
            await source.CancelAsync();
        }

        for (var i = 0; i < pairs.Length; i++)
        {
            if (i % 3 == 0)
            {
                // Given up: either answered before it gave up, or cancelled; never a wrong answer.
                var settled = await Task.WhenAny(running[i]);
                if (settled.IsCompletedSuccessfully)
                {
                    Line(settled.Result).ShouldBe(expected[pairs[i]]);
                }
                else
                {
                    settled.IsCanceled.ShouldBeTrue();
                }
                continue;
            }
            Line(await running[i]).ShouldBe(expected[pairs[i]], $"check {i}");
        }
    }
}
