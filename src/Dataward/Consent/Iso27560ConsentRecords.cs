using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Domain.Audit;
using Dataward.Domain.Consent;
using Dataward.Domain.Register;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;
using TaxonomyModel = Dataward.Domain.Taxonomy.Taxonomy;

namespace Dataward.Consent;

/// <summary>CNS006: the ISO/IEC TS 27560 view of a receipt: one record per (subject, purpose) holding that consent's whole
/// life, signed like the Kantara receipt. The standard is paywalled; element names follow the public W3C DPV guide
/// (https://w3id.org/dpv/guides/consent-27560) and must be checked against the standard itself (consent.md §3.3).</summary>
public sealed class Iso27560ConsentRecords(DatawardDbContext db, RegisterService register, KeyRing keys, IConfiguration configuration,
    TimeProvider time, ConsentService consent)
{
    public const string SchemaVersion = "ISO/IEC TS 27560:2023; element names per W3C DPV guide consent-27560";

    /// <summary>The record of the (subject, purpose) pair the event belongs to, or null for an unknown event.</summary>
    public async Task<JsonObject?> RecordAsync(Guid eventId, CancellationToken cancellationToken = default)
    {
        var anchor = await db.Set<ConsentEvent>().AsNoTracking().FirstOrDefaultAsync(e => e.EventId == eventId, cancellationToken);
        if (anchor is null)
        {
            return null;
        }
        var purpose = await db.Set<ConsentPurposeRecord>().AsNoTracking().FirstAsync(p => p.Key == anchor.Purpose, cancellationToken);
        var events = (await db.Set<ConsentEvent>().AsNoTracking()
                .Where(e => e.SubjectHash == anchor.SubjectHash && e.Purpose == anchor.Purpose).ToListAsync(cancellationToken))
            .OrderBy(e => e.RecordedAt).ThenBy(e => e.EventId).ToList();
        var state = await db.Set<ConsentStateRecord>().AsNoTracking()
            .FirstOrDefaultAsync(s => s.SubjectHash == anchor.SubjectHash && s.Purpose == anchor.Purpose, cancellationToken);
        var organisation = await register.OrganisationAsync(cancellationToken);
        var activities = new List<ActivityView>();
        foreach (var id in JsonSerializer.Deserialize<List<Guid>>(purpose.Activities) ?? [])
        {
            if (await register.GetAsync(id, cancellationToken) is { } activity)
            {
                activities.Add(activity);
            }
        }
        var now = time.GetUtcNow();
        var (derived, _) = ConsentRules.StateOf(state is null ? null : ConsentService.Facts(state), purpose.RefreshAfterDays, now);
        var latestGiven = events.LastOrDefault(e => e.Action == ConsentActions.Given);
        var site = (configuration["PublicUrl"] ?? Platform.Web.DatawardApp.DefaultUrl).TrimEnd('/');

        var record = new JsonObject
        {
            ["schema_version"] = SchemaVersion,
            ["record_id"] = NameBasedUuid.ConsentRecordId(anchor.SubjectHash, anchor.Purpose).ToString(),
            // Pseudonymous: the keyed hash, as in the Kantara receipt (consent.md §3.4).
            ["pii_principal_id"] = anchor.SubjectHash,
            ["notice"] = latestGiven?.NoticeVersion is { } version
                ? new JsonObject
                {
                    ["notice_id"] = version,
                    ["notice_url"] = $"/api/notices/versions/{version}",
                    ["language"] = (await consent.EvidenceAsync(latestGiven.Evidence, cancellationToken))?.Language,
                }
                : null,
            ["purposes"] = new JsonArray(new JsonObject
            {
                ["purpose"] = purpose.Title,
                ["purpose_id"] = purpose.Key,
                ["purpose_description"] = purpose.Description,
                ["lawful_basis"] = purpose.Explicit ? "explicit consent" : "consent",
                ["pii_information"] = PiiInformation(purpose, activities, activities.Count == 0 ? null : await register.TaxonomyAsync(cancellationToken)),
                ["pii_controllers"] = new JsonArray(new JsonObject
                {
                    ["pii_controller"] = organisation.Name,
                    ["contact"] = organisation.Dpo?.Name,
                    ["address"] = organisation.Address,
                    ["email"] = organisation.Dpo?.Email ?? organisation.Email,
                    ["phone"] = organisation.Phone,
                }),
                ["collection_method"] = (latestGiven ?? events[^1]).Method,
                ["retention_period"] = Strings(activities.Select(a => a.Retention?.Period ?? a.Retention?.Criteria)),
                ["recipient_third_parties"] = Strings(activities.SelectMany(a => a.Recipients).Select(r => r.Name)),
                ["jurisdiction"] = string.Join(", ", organisation.Jurisdictions),
                ["withdrawal_method"] = $"One click on the link in any receipt e-mail, the privacy centre ({site}/privacy/preferences), or a request to the controller; as easy as giving it (Art. 7(3)).",
                ["privacy_rights"] = Strings(activities.Count == 0
                    ? RegisterChecks.RightsAvailable(LawfulBases.Consent)
                    : activities.SelectMany(a => a.RightsAvailable).Append("withdrawConsent")),
            }),
            ["events"] = Events(events, purpose, state, derived),
            ["x-dataward"] = new JsonObject
            {
                ["purpose"] = purpose.Key,
                ["state"] = derived,
                ["receiptId"] = anchor.EventId.ToString(),
                ["kantaraReceipt"] = $"/api/consent/receipts/{anchor.EventId}",
            },
        };
        // The same keyed signature as the Kantara receipt, over this document's canonical form.
        record["x-dataward"]!["signature"] = keys.Hash(CanonicalJson.Write(record), "consent.receipt");
        return record;
    }

    private static JsonArray Events(List<ConsentEvent> events, ConsentPurposeRecord purpose, ConsentStateRecord? state, string derived)
    {
        var array = new JsonArray();
        var everGiven = false;
        foreach (var e in events)
        {
            everGiven |= e.Action == ConsentActions.Given;
            array.Add(new JsonObject
            {
                ["event_time"] = e.OccurredAt.ToString("O"),
                ["event_type"] = purpose.Explicit ? "explicit" : "expressed",
                ["event_by"] = EventBy(e.Actor),
                // CNS011: a withdrawal with no consent before it is a refusal.
                ["event_state"] = e.Action == ConsentActions.Given ? "given" : everGiven ? "withdrawn" : "refused",
                ["validity_duration"] = e.Action == ConsentActions.Given && purpose.RefreshAfterDays is { } days ? $"P{days}D" : null,
                ["x-dataward"] = new JsonObject
                {
                    ["eventId"] = e.EventId.ToString(),
                    ["actor"] = e.Actor,
                    ["method"] = e.Method,
                    ["noticeVersion"] = e.NoticeVersion,
                    ["auditHash"] = e.AuditHash,
                },
            });
        }
        // Expiry is derived at check time (consent.md §4), so it appears here as the event it amounts to.
        if (derived == ConsentStates.Expired && state is not null && ExpiredAt(state, purpose) is { } at)
        {
            array.Add(new JsonObject
            {
                ["event_time"] = at.ToString("O"),
                ["event_type"] = purpose.Explicit ? "explicit" : "expressed",
                ["event_by"] = "controller",
                ["event_state"] = "expired",
            });
        }
        return array;
    }

    private static DateTimeOffset? ExpiredAt(ConsentStateRecord state, ConsentPurposeRecord purpose)
    {
        var byRefresh = state.GivenAt is { } given && purpose.RefreshAfterDays is { } days ? given.AddDays(days) : (DateTimeOffset?)null;
        var byRenewal = state.RenewalRequired ? state.RenewBy : null;
        return (byRefresh, byRenewal) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => null,
        };
    }

    /// <summary>Who acted, in the record's terms: the person, a parent for a child (CNS016), a signal sent on the
    /// person's behalf (GPC, CNS017), or the controller (staff and systems recording it).</summary>
    private static string EventBy(string actor) => actor switch
    {
        "subject" => "pii_principal",
        "parent" => "parent_or_guardian",
        "system:gpc" => "pii_principal_agent",
        _ => "controller",
    };

    /// <summary>The data categories of the activities relying on this consent; special categories (Art. 9) and anything
    /// under a purpose the DPO marked sensitive count as sensitive.</summary>
    private static JsonArray PiiInformation(ConsentPurposeRecord purpose, List<ActivityView> activities, TaxonomyModel? taxonomy)
    {
        var array = new JsonArray();
        foreach (var category in activities.SelectMany(a => a.DataCategories).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var sensitive = purpose.Sensitive || taxonomy?.SpecialCategoriesOf(category).Count > 0;
            array.Add(new JsonObject { ["pii_type"] = category, ["sensitivity"] = sensitive ? "sensitive" : "non-sensitive" });
        }
        return array;
    }

    private static JsonArray Strings(IEnumerable<string?> values) =>
        new([.. values.OfType<string>().Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Select(v => (JsonNode)JsonValue.Create(v))]);
}
