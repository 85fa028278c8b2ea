using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dataward.Consent;
using Dataward.Platform.Email;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Consent;

public sealed class ConsentLifecycleTests_Sqlite() : ConsentLifecycleTests(StorageProvider.Sqlite);

public sealed class ConsentLifecycleTests_Postgres() : ConsentLifecycleTests(StorageProvider.Postgres);

/// <summary>The states beyond given and withdrawn: children's consent awaiting a parent, renewals after a substantial
/// notice change, and the suppression list.</summary>
public abstract partial class ConsentLifecycleTests(StorageProvider provider) : AppTest(provider)
{
    private HttpClient dpo = default!;
    private HttpClient app = default!;

    private async Task<string> ArrangeAsync(object purpose, params string[] purposeKeys)
    {
        dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        app = await App.ClientWithRoleAsync(StaffRoles.Staff);
        (await dpo.PostAsJsonAsync("/api/consent/purposes", purpose)).StatusCode.ShouldBe(HttpStatusCode.Created);
        return await PublishAsync(new { language = "en", title = "Notice", body = "Text", purposes = purposeKeys });
    }

    private async Task<string> PublishAsync(object notice) => (await PublishWithRenewalsAsync(notice)).GetProperty("version").GetString()!;

    private async Task<JsonElement> PublishWithRenewalsAsync(object notice)
    {
        var draft = await dpo.PostAsJsonAsync("/api/notices", notice);
        draft.StatusCode.ShouldBe(HttpStatusCode.Created, await draft.Content.ReadAsStringAsync());
        var id = (await draft.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var published = await dpo.PostAsync($"/api/notices/{id}/publish", null);
        published.StatusCode.ShouldBe(HttpStatusCode.OK, await published.Content.ReadAsStringAsync());
        return await published.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpResponseMessage> GiveAsync(string subject, string purpose, string version, object? extra = null, string method = "web")
    {
        var body = JsonSerializer.SerializeToNode(new { subject, purpose, action = "given", noticeVersion = version, method })!.AsObject();
        foreach (var (key, value) in JsonSerializer.SerializeToNode(extra ?? new { })!.AsObject())
        {
            body[key] = value?.DeepClone();
        }
        return await app.PostAsJsonAsync("/api/consent/events", body);
    }

    private async Task<JsonElement> CheckAsync(string subject, string purpose) =>
        await app.GetFromJsonAsync<JsonElement>($"/api/consent/check?subject={Uri.EscapeDataString(subject)}&purpose={purpose}");

    private async Task<List<OutboxMessage>> OutboxAsync(string purpose) =>
        (await App.WithDbAsync(db => db.Set<OutboxMessage>().Where(m => m.Purpose == purpose).ToListAsync())).Decrypted(App);

    [Fact]
    public async Task CNS016_a_child_under_the_threshold_waits_for_a_parent_who_confirms_by_a_signed_link()
    {
        var version = await ArrangeAsync(new { key = "game-news", title = "Game news", description = "News about the game.", children = true }, "game-news");

        // The age is asked for children purposes.
        var noAge = await GiveAsync("kid@example.com", "game-news", version);
        noAge.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await noAge.Content.ReadAsStringAsync()).ShouldContain("\"age\"");
        // Under the threshold (UK: 13), a parent's address is needed.
        (await GiveAsync("kid@example.com", "game-news", version, new { age = 12 })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var pending = await GiveAsync("kid@example.com", "game-news", version, new { age = 12, parentEmail = "parent@example.com" });
        pending.StatusCode.ShouldBe(HttpStatusCode.Created, await pending.Content.ReadAsStringAsync());
        (await pending.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString().ShouldBe("pending-parent");
        var check = await CheckAsync("kid@example.com", "game-news");
        check.GetProperty("allowed").GetBoolean().ShouldBeFalse();
        check.GetProperty("state").GetString().ShouldBe("pending-parent");
        var stored = await App.WithDbAsync(db => db.Set<ConsentEvent>().SingleAsync());
        (stored.Age, stored.AgeThreshold).ShouldBe((12, 13));
        stored.ParentEncrypted.ShouldNotBeNull().ShouldNotContain("parent@");
        (await OutboxAsync("consent.receipt")).ShouldBeEmpty("the child gets no receipt before the parent confirms");

        var message = (await OutboxAsync("consent.parental")).ShouldHaveSingleItem();
        var token = ParentalLink().Match(message.Body).Groups[1].Value;
        token.ShouldNotBeEmpty(message.Body);

        await using (var scope = App.Services.CreateAsyncScope())
        {
            var consent = scope.ServiceProvider.GetRequiredService<ConsentService>();
            (await consent.ConfirmParentalAsync(token[..^2] + "xx")).Succeeded.ShouldBeFalse("a tampered link confirms nothing");
            var preview = await consent.PreviewParentalAsync(token);
            preview.Value!.Age.ShouldBe(12);
            preview.Value.Confirmed.ShouldBeFalse();
            (await consent.ConfirmParentalAsync(token)).Value!.Confirmed.ShouldBeTrue();
            (await consent.ConfirmParentalAsync(token)).Value!.Confirmed.ShouldBeTrue("confirming again changes nothing");
        }
        (await CheckAsync("kid@example.com", "game-news")).GetProperty("allowed").GetBoolean().ShouldBeTrue();
        var events = await App.WithDbAsync(db => db.Set<ConsentEvent>().OrderBy(e => e.RecordedAt).ThenBy(e => e.EventId).ToListAsync());
        events.Count.ShouldBe(2);
        events[1].ParentalConfirmationId.ShouldBe(events[0].EventId);
        events[1].Actor.ShouldBe("parent");
        (events[0].CountChange, events[1].CountChange).ShouldBe((0, 1));

        // When the child should have reached the threshold, the consent asks to be refreshed.
        App.Time.Advance(TimeSpan.FromDays(366));
        (await CheckAsync("kid@example.com", "game-news")).GetProperty("state").GetString().ShouldBe("renewal-required");
    }

    [Fact]
    public async Task CNS016_at_or_above_the_threshold_the_age_is_recorded_and_no_parent_is_needed()
    {
        var version = await ArrangeAsync(new { key = "game-news", title = "Game news", description = "News.", children = true }, "game-news");
        var given = await GiveAsync("teen@example.com", "game-news", version, new { age = 13 });
        given.StatusCode.ShouldBe(HttpStatusCode.Created, await given.Content.ReadAsStringAsync());
        (await CheckAsync("teen@example.com", "game-news")).GetProperty("allowed").GetBoolean().ShouldBeTrue();
        (await App.WithDbAsync(db => db.Set<ConsentEvent>().SingleAsync())).AgeThreshold.ShouldBe(13);
    }

    [Fact]
    public async Task CNS018_a_substantial_notice_asks_earlier_consents_to_renew_tells_each_person_once_and_counts_renewals()
    {
        var v1 = await ArrangeAsync(new { key = "newsletter", title = "Newsletter", description = "News." }, "newsletter");
        (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "offers", title = "Offers", description = "Offers." })).StatusCode.ShouldBe(HttpStatusCode.Created);
        v1 = await PublishAsync(new { language = "en", title = "Notice", body = "Text", purposes = new[] { "newsletter", "offers" } });
        foreach (var person in new[] { "ana@example.com", "ben@example.com", "CUST-7" })
        {
            (await GiveAsync(person, "newsletter", v1)).StatusCode.ShouldBe(HttpStatusCode.Created);
            (await GiveAsync(person, "offers", v1)).StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        (await app.PostAsJsonAsync("/api/consent/events", new { subject = "ben@example.com", purpose = "offers", action = "withdrawn", method = "api" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);

        // A minor edit needs no renewal.
        var minor = await PublishWithRenewalsAsync(new { language = "en", title = "Notice", body = "Typo fixed", purposes = new[] { "newsletter", "offers" } });
        minor.GetProperty("renewals").GetArrayLength().ShouldBe(0);
        (await CheckAsync("ana@example.com", "newsletter")).GetProperty("state").GetString().ShouldBe("given");

        var v3 = await PublishWithRenewalsAsync(new
        {
            language = "en",
            title = "Notice",
            body = "We now also send offers by SMS",
            substantial = true,
            purposes = new[] { "newsletter", "offers" },
            changedPurposes = new[] { "offers" },
        });
        var renewals = v3.GetProperty("renewals").EnumerateArray().ToList();
        renewals.ShouldHaveSingleItem().GetProperty("purpose").GetString().ShouldBe("offers");
        renewals[0].GetProperty("total").GetInt32().ShouldBe(2, "ana and CUST-7 consented to offers; ben withdrew");
        (await CheckAsync("ana@example.com", "offers")).GetProperty("state").GetString().ShouldBe("renewal-required");
        (await CheckAsync("ana@example.com", "offers")).GetProperty("allowed").GetBoolean().ShouldBeTrue("it counts until renewed or a renew-by date");
        (await CheckAsync("ana@example.com", "newsletter")).GetProperty("state").GetString().ShouldBe("given", "its wording did not change");
        // One message per person with an address; the customer id has none.
        var messages = await OutboxAsync("consent.renewal");
        messages.Count.ShouldBe(1);
        messages[0].Body.ShouldContain("Offers");

        (await GiveAsync("ana@example.com", "offers", v3.GetProperty("version").GetString()!)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await CheckAsync("ana@example.com", "offers")).GetProperty("state").GetString().ShouldBe("given");
        var counts = await dpo.GetFromJsonAsync<JsonElement>($"/api/notices/{v3.GetProperty("id").GetGuid()}/renewals");
        counts[0].GetProperty("renewed").GetInt32().ShouldBe(1);
        counts[0].GetProperty("total").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task CNS018_consents_under_a_substantially_changed_notice_lapse_at_the_renew_by_date()
    {
        var v1 = await ArrangeAsync(new { key = "newsletter", title = "Newsletter", description = "News." }, "newsletter");
        (await GiveAsync("ana@example.com", "newsletter", v1)).StatusCode.ShouldBe(HttpStatusCode.Created);
        await PublishAsync(new { language = "en", title = "Notice", body = "New", substantial = true, purposes = new[] { "newsletter" }, renewBy = App.Time.GetUtcNow().AddDays(30) });
        (await CheckAsync("ana@example.com", "newsletter")).GetProperty("allowed").GetBoolean().ShouldBeTrue();
        App.Time.Advance(TimeSpan.FromDays(31));
        var lapsed = await CheckAsync("ana@example.com", "newsletter");
        (lapsed.GetProperty("allowed").GetBoolean(), lapsed.GetProperty("state").GetString()).ShouldBe((false, "expired"));
    }

    [Fact]
    public async Task CNS018_renewal_settings_on_a_minor_notice_or_naming_purposes_it_does_not_cover_are_refused()
    {
        await ArrangeAsync(new { key = "newsletter", title = "Newsletter", description = "News." }, "newsletter");
        var minor = await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title = "N", body = "B", purposes = new[] { "newsletter" }, changedPurposes = new[] { "newsletter" } });
        minor.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await minor.Content.ReadAsStringAsync()).ShouldContain("CNS018");
        var stray = await dpo.PostAsJsonAsync("/api/notices", new { language = "en", title = "N", body = "B", substantial = true, purposes = new[] { "newsletter" }, changedPurposes = new[] { "offers" } });
        stray.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await stray.Content.ReadAsStringAsync()).ShouldContain("changedPurposes");
    }

    [Fact]
    public async Task CNS020_an_objection_to_direct_marketing_is_suppressed_so_an_import_cannot_re_add_the_person_but_they_can()
    {
        var version = await ArrangeAsync(new { key = "offers", title = "Offers", description = "Offers by e-mail.", directMarketing = true }, "offers");
        (await GiveAsync("ana@example.com", "offers", version)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await app.PostAsJsonAsync("/api/consent/events", new { subject = "ana@example.com", purpose = "offers", action = "withdrawn", method = "web" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var suppression = await App.WithDbAsync(db => db.Set<ConsentSuppressionRecord>().SingleAsync());
        suppression.Reason.ShouldBe("objection");

        var import = await GiveAsync("ana@example.com", "offers", version, new { occurredAt = App.Time.GetUtcNow().AddDays(-1) }, method: "import");
        import.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await import.Content.ReadAsStringAsync()).ShouldContain("CNS020");
        (await CheckAsync("ana@example.com", "offers")).GetProperty("allowed").GetBoolean().ShouldBeFalse();

        // The person's own later choice is honoured and lifts the suppression.
        (await GiveAsync("ana@example.com", "offers", version)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await CheckAsync("ana@example.com", "offers")).GetProperty("allowed").GetBoolean().ShouldBeTrue();
        (await App.WithDbAsync(db => db.Set<ConsentSuppressionRecord>().CountAsync())).ShouldBe(0);
    }

    [Fact]
    public async Task Each_event_records_how_it_moved_the_number_of_people_consenting()
    {
        var version = await ArrangeAsync(new { key = "newsletter", title = "Newsletter", description = "News." }, "newsletter");
        await GiveAsync("ana@example.com", "newsletter", version);
        await GiveAsync("ana@example.com", "newsletter", version);
        await app.PostAsJsonAsync("/api/consent/events", new { subject = "ana@example.com", purpose = "newsletter", action = "withdrawn", method = "api" });
        await app.PostAsJsonAsync("/api/consent/events", new { subject = "ben@example.com", purpose = "newsletter", action = "withdrawn", method = "api" });
        var changes = await App.WithDbAsync(db => db.Set<ConsentEvent>().OrderBy(e => e.RecordedAt).ThenBy(e => e.EventId).Select(e => e.CountChange).ToListAsync());
        changes.ShouldBe([1, 0, -1, 0]);
    }

    [GeneratedRegex(@"/privacy/parental-consent\?t=(\S+)")]
    private static partial Regex ParentalLink();
}
