using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dataward.Breaches;
using Dataward.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Requests;
using Dataward.Shredding;
using Dataward.Tests.Connections;
using Dataward.Tests.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dataward.Tests.Shredding;

public sealed class SubjectKeyTests_Sqlite() : SubjectKeyTests(StorageProvider.Sqlite);

public sealed class SubjectKeyTests_Postgres() : SubjectKeyTests(StorageProvider.Postgres);

/// <summary>Crypto-shredding (minimisation.md §5, MIN017): consent evidence, request packages and breach lists sealed under
/// the person's own data key; destroying it leaves the ciphertext in place and unreadable, on both databases.</summary>
public abstract class SubjectKeyTests(StorageProvider provider) : AppTest(provider)
{
    private const string Ana = "Ana.Shred@Example.com";
    private const string Wording = "Send me the monthly newsletter";

    private async Task<(HttpClient Dpo, HttpClient Staff)> ConsentAsync(string subject = Ana)
    {
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        if (!(await App.WithDbAsync(db => db.Set<ConsentPurposeRecord>().AnyAsync())))
        {
            (await dpo.PostAsJsonAsync("/api/consent/purposes", new { key = "newsletter", title = "Monthly newsletter", description = "News, once a month." }))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var recorded = await staff.PostAsJsonAsync("/api/consent/events", new
        {
            subject,
            purpose = "newsletter",
            action = "withdrawn",
            method = "web",
            evidence = new { formId = "signup", wording = Wording, language = "en" },
        });
        recorded.StatusCode.ShouldBe(HttpStatusCode.Created, await recorded.Content.ReadAsStringAsync());
        return (dpo, staff);
    }

    private string HashOf(string subject) =>
        App.Services.GetRequiredService<KeyRing>().Hash(Dataward.Domain.Consent.ConsentRules.NormaliseSubject(subject), ConsentService.SubjectHashPurpose);

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<string> FileContentAsync()
    {
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(App.Database.ConnectionString).DataSource;
        var content = new System.Text.StringBuilder();
        foreach (var path in new[] { file, file + "-wal", file + "-journal" }.Where(File.Exists))
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
            content.Append(await reader.ReadToEndAsync());
        }
        return content.ToString();
    }

    [Fact]
    public async Task MIN017_after_destruction_the_consent_evidence_stays_byte_for_byte_and_reads_as_key_destroyed()
    {
        var (dpo, staff) = await ConsentAsync();
        await ConsentAsync("bo@example.com");
        var hash = HashOf(Ana);
        var before = await App.WithDbAsync(db => db.Set<ConsentEvent>().AsNoTracking().SingleAsync(e => e.SubjectHash == hash));
        before.Evidence.ShouldStartWith(SubjectCipher.Prefix);
        before.Evidence.ShouldNotContain(Wording);
        before.SubjectEncrypted!.ShouldStartWith(SubjectCipher.Prefix);
        var key = await App.WithDbAsync(db => db.Set<SubjectKey>().AsNoTracking().SingleAsync(k => k.SubjectHash == hash));
        before.Evidence.ShouldContain($".{key.Id}.");
        var history = await Ok(await dpo.GetAsync($"/api/consent/subjects/{Uri.EscapeDataString(Ana)}/history"));
        history.GetProperty("events")[0].GetProperty("evidence").GetProperty("wording").GetString().ShouldBe(Wording);

        // Bad input and the wrong role change nothing.
        var invalid = await dpo.PostAsJsonAsync("/api/subject-keys/destroy", new { });
        invalid.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("errors").TryGetProperty("subject", out _).ShouldBeTrue(problem.ToString());
        problem.GetProperty("errors").TryGetProperty("reason", out _).ShouldBeTrue(problem.ToString());
        (await staff.PostAsJsonAsync("/api/subject-keys/destroy", new { subject = Ana, reason = "Erasure request DSR-2026-000001" }))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await App.WithDbAsync(db => db.Set<SubjectKey>().CountAsync(k => k.DestroyedAt != null))).ShouldBe(0);

        var destroyed = await Ok(await dpo.PostAsJsonAsync("/api/subject-keys/destroy", new { subject = Ana, reason = "Erasure request DSR-2026-000001" }));
        destroyed.GetProperty("subjectHash").GetString().ShouldBe(hash);
        destroyed.GetProperty("keysDestroyed").EnumerateArray().Select(k => k.GetString()).ShouldBe([key.Id]);

        // The ciphertext stays where it was, byte for byte; the key row stays without its key.
        var after = await App.WithDbAsync(db => db.Set<ConsentEvent>().AsNoTracking().SingleAsync(e => e.SubjectHash == hash));
        after.Evidence.ShouldBe(before.Evidence);
        after.SubjectEncrypted.ShouldBe(before.SubjectEncrypted);
        var row = await App.WithDbAsync(db => db.Set<SubjectKey>().AsNoTracking().SingleAsync(k => k.Id == key.Id));
        row.KeyEncrypted.ShouldBeNull();
        row.DestroyedAt.ShouldBe(App.Time.GetUtcNow());
        row.DestroyedBy.ShouldNotBeNullOrWhiteSpace();

        // Reading fails with the distinct error, and the staff views say so instead of failing.
        await using (var scope = App.Services.CreateAsyncScope())
        {
            var keys = scope.ServiceProvider.GetRequiredService<SubjectKeys>();
            var error = await Should.ThrowAsync<SubjectKeyDestroyedException>(() => keys.DecryptAsync(after.Evidence, ConsentService.EvidencePurpose));
            error.Message.ShouldStartWith("key destroyed");
            error.KeyId.ShouldBe(key.Id);
            (await keys.DecryptAsync(await App.WithDbAsync(db => db.Set<ConsentEvent>().Where(e => e.SubjectHash != hash).Select(e => e.Evidence).SingleAsync()),
                ConsentService.EvidencePurpose)).ShouldContain(Wording, customMessage: "another person's evidence is untouched");
        }
        history = await Ok(await dpo.GetAsync($"/api/consent/subjects/{Uri.EscapeDataString(Ana)}/history"));
        history.GetProperty("identity").GetString().ShouldBe("erased");
        history.GetProperty("events")[0].GetProperty("evidenceDestroyed").GetBoolean().ShouldBeTrue();
        history.GetProperty("events")[0].GetProperty("evidence").GetProperty("wording").ValueKind.ShouldBe(JsonValueKind.Null);
        var receipt = await Ok(await staff.GetAsync($"/api/consent/receipts/{after.EventId}"));
        receipt.GetProperty("x-dataward").GetProperty("evidence").GetProperty("status").GetString().ShouldBe("key destroyed");

        // Audited with the person (by hash), the key id and the actor; a second destruction destroys and records nothing.
        var audited = await App.WithDbAsync(db => db.AuditEntries.Where(e => e.Action == SubjectKeys.DestroyedAction).ToListAsync());
        audited.Count.ShouldBe(1);
        audited[0].Target.ShouldBe($"subject:{hash}");
        audited[0].Actor.ShouldBe(row.DestroyedBy);
        audited[0].Details.ShouldContain(key.Id);
        audited[0].Details.ShouldNotContain("shred@", Case.Insensitive);
        var again = await Ok(await dpo.PostAsJsonAsync("/api/subject-keys/destroy", new { subject = Ana, reason = "Asked twice" }));
        again.GetProperty("keysDestroyed").GetArrayLength().ShouldBe(0);
        again.GetProperty("keysDestroyedBefore").GetInt32().ShouldBe(1);
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync(e => e.Action == SubjectKeys.DestroyedAction))).ShouldBe(1);
        (await App.WithDbAsync(db => db.Set<SubjectKey>().AsNoTracking().SingleAsync(k => k.Id == key.Id))).DestroyReason.ShouldBe("Erasure request DSR-2026-000001");
        (await App.WithDbAsync(db => db.AuditEntries.CountAsync())).ShouldBeGreaterThan(0);
        (await (await dpo.GetAsync("/api/audit/verify")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("intact").GetBoolean().ShouldBeTrue();

        if (Provider == StorageProvider.Sqlite)
        {
            // No clear identifier anywhere in the file, and the wrapped key is gone from it (and from the write-ahead log).
            var content = await FileContentAsync();
            content.ShouldNotContain("ana.shred@example.com", Case.Insensitive);
            content.ShouldNotContain(key.KeyEncrypted!.Split('.')[2][..24]);
        }
    }

    [Fact]
    public async Task MIN017_erasing_a_person_from_the_consent_ledger_destroys_their_key_and_a_later_consent_gets_a_new_one()
    {
        var (dpo, _) = await ConsentAsync();
        var hash = HashOf(Ana);
        var erased = await Ok(await dpo.PostAsJsonAsync("/api/consent/subjects/erase", new { subject = Ana }));
        var first = erased.GetProperty("keysDestroyed").EnumerateArray().Single().GetString();
        (await App.WithDbAsync(db => db.Set<SubjectKey>().AsNoTracking().SingleAsync())).KeyEncrypted.ShouldBeNull();
        var audited = await App.WithDbAsync(db => db.AuditEntries.SingleAsync(e => e.Action == SubjectKeys.DestroyedAction));
        audited.Details.ShouldContain(first!);

        await ConsentAsync();
        var keys = await App.WithDbAsync(db => db.Set<SubjectKey>().AsNoTracking().Where(k => k.SubjectHash == hash).ToListAsync());
        keys.Count.ShouldBe(2);
        keys.Single(k => k.DestroyedAt is null).Id.ShouldNotBe(first);
        var history = await Ok(await dpo.GetAsync($"/api/consent/subjects/{Uri.EscapeDataString(Ana)}/history"));
        history.GetProperty("identity").GetString().ShouldBe("present");
        history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("evidenceDestroyed").GetBoolean()).ShouldBe([false, true]);
    }

    [Fact]
    public async Task MIN017_a_shredded_request_package_stays_in_place_and_its_download_is_a_conflict_not_a_server_error()
    {
        var (dpo, shop) = await ConnectionTests.ConnectShopAsync(App, Provider);
        await using var _ = shop;
        var created = await dpo.PostAsJsonAsync("/api/requests", new
        {
            type = "access",
            identities = new { email = "nobody.shred@example.com" },
            channel = "email",
            identityChecked = "Reply from the address on the account",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        (await Ok(await dpo.PostAsync($"/api/requests/{id}/run", null))).GetProperty("succeeded").GetBoolean().ShouldBeTrue();
        (await dpo.GetAsync($"/api/requests/{id}/package")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var before = await App.WithDbAsync(db => db.Set<RequestAccessRecord>().AsNoTracking().SingleAsync(r => r.RequestId == id));
        before.PackageEncrypted!.ShouldStartWith(SubjectCipher.Prefix);
        before.ResultEncrypted!.ShouldStartWith(SubjectCipher.Prefix);

        await Ok(await dpo.PostAsJsonAsync("/api/subject-keys/destroy", new { subject = "nobody.shred@example.com", reason = "Erasure request" }));

        var after = await App.WithDbAsync(db => db.Set<RequestAccessRecord>().AsNoTracking().SingleAsync(r => r.RequestId == id));
        after.PackageEncrypted.ShouldBe(before.PackageEncrypted);
        after.ResultEncrypted.ShouldBe(before.ResultEncrypted);
        foreach (var path in new[] { "package", "results" })
        {
            var response = await dpo.GetAsync($"/api/requests/{id}/{path}");
            response.StatusCode.ShouldBe(HttpStatusCode.Conflict, path);
            var body = await response.Content.ReadAsStringAsync();
            body.ShouldContain("Key destroyed");
            body.ShouldContain("MIN017");
        }
    }

    [Fact]
    public async Task MIN017_each_person_on_a_breach_list_is_sealed_under_their_own_key_so_shredding_one_leaves_the_others_readable()
    {
        var staff = await App.ClientWithRoleAsync(StaffRoles.Staff);
        var dpo = await App.ClientWithRoleAsync(StaffRoles.DataProtectionOfficer);
        var reported = await staff.PostAsJsonAsync("/api/breaches", new
        {
            title = "Customer list e-mailed to the wrong supplier",
            description = "A spreadsheet of customer names was attached to an e-mail sent to the wrong supplier.",
            discoveredAt = App.Time.GetUtcNow().AddHours(-3),
        });
        reported.StatusCode.ShouldBe(HttpStatusCode.Created, await reported.Content.ReadAsStringAsync());
        var id = (await reported.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await Ok(await dpo.PutAsJsonAsync($"/api/breaches/{id}/affected-people", new
        {
            people = new[] { new { email = "victim.one@example.net", name = (string?)"Ana" }, new { email = "victim.two@example.net", name = (string?)null } },
        }));
        var stored = await App.WithDbAsync(db => db.Set<Breach>().Select(b => b.AffectedPeopleEncrypted).SingleAsync());
        var entries = JsonSerializer.Deserialize<List<string>>(stored!)!;
        entries.Count.ShouldBe(2);
        entries.ShouldAllBe(e => e.StartsWith(SubjectCipher.Prefix));
        stored!.ShouldNotContain("victim");

        await Ok(await dpo.PostAsJsonAsync("/api/subject-keys/destroy", new { subject = "victim.one@example.net", reason = "Erasure request" }));

        (await App.WithDbAsync(db => db.Set<Breach>().Select(b => b.AffectedPeopleEncrypted).SingleAsync())).ShouldBe(stored);
        await using var scope = App.Services.CreateAsyncScope();
        var keys = scope.ServiceProvider.GetRequiredService<SubjectKeys>();
        await Should.ThrowAsync<SubjectKeyDestroyedException>(() => keys.DecryptAsync(entries[0], "breaches.affected_people"));
        (await keys.DecryptAsync(entries[1], "breaches.affected_people")).ShouldContain("victim.two@example.net");
    }

    [Fact]
    public async Task MIN017_the_command_line_destroys_a_persons_key_with_a_reason_and_refuses_without_one()
    {
        await ConsentAsync();
        var missing = await DatawardProcess.RunAsync(App.Database.Environment, null, "subject-keys", "destroy", Ana, "--reason", " ");
        missing.ExitCode.ShouldBe(2);
        missing.Stderr.ShouldContain("reason");
        (await App.WithDbAsync(db => db.Set<SubjectKey>().CountAsync(k => k.DestroyedAt != null))).ShouldBe(0);
        var destroyed = await DatawardProcess.RunAsync(App.Database.Environment, null, "subject-keys", "destroy", Ana, "--reason", "Erasure request DSR-2026-000002");
        destroyed.ExitCode.ShouldBe(0, destroyed.Stderr);
        destroyed.Stdout.ShouldContain("Destroyed 1 key");
        destroyed.Stdout.ShouldNotContain("shred@", Case.Insensitive);
        (await App.WithDbAsync(db => db.Set<SubjectKey>().AsNoTracking().SingleAsync())).DestroyedBy.ShouldBe("cli");
        var again = await DatawardProcess.RunAsync(App.Database.Environment, null, "subject-keys", "destroy", Ana, "--reason", "Again");
        again.ExitCode.ShouldBe(0, again.Stderr);
        again.Stdout.ShouldContain("Nothing to destroy");
    }

    [Fact]
    public void MIN017_values_seal_and_open_under_their_key_and_purpose_only()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var sealedValue = SubjectCipher.Seal(key, "0195abc", "ana@example.com", "consent.subject");
        sealedValue.ShouldStartWith("sk1.0195abc.");
        sealedValue.ShouldNotContain("ana@");
        SubjectCipher.TryKeyId(sealedValue, out var keyId).ShouldBeTrue();
        keyId.ShouldBe("0195abc");
        SubjectCipher.Open(key, sealedValue, "consent.subject").ShouldBe("ana@example.com");
        SubjectCipher.Seal(key, "0195abc", "ana@example.com", "consent.subject").ShouldNotBe(sealedValue, "a fresh nonce each time");

        Should.Throw<CryptographicException>(() => SubjectCipher.Open(key, sealedValue, "consent.evidence"));
        Should.Throw<CryptographicException>(() => SubjectCipher.Open(RandomNumberGenerator.GetBytes(32), sealedValue, "consent.subject"));
        Should.Throw<CryptographicException>(() => SubjectCipher.Open(key, sealedValue.Replace("sk1.0195abc.", "sk1.0195abd."), "consent.subject"));
        var data = Convert.FromBase64String(sealedValue.Split('.')[2]);
        data[^1] ^= 1;
        Should.Throw<CryptographicException>(() => SubjectCipher.Open(key, $"sk1.0195abc.{Convert.ToBase64String(data)}", "consent.subject"));
        SubjectCipher.IsSealed("v1.abcd1234.AAAA").ShouldBeFalse();
        SubjectCipher.IsSealed("{\"formId\":\"x\"}").ShouldBeFalse();
    }
}
