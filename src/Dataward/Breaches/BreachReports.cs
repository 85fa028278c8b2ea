using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Dataward.Domain;
using Dataward.Domain.Breaches;
using Dataward.Domain.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Breaches;

/// <summary>The letter to the people affected (Art. 34(2)): plain language, the nature of the breach, the contact point,
/// likely consequences, measures and advice. <c>complete</c> false names what is missing (ACC008).</summary>
public sealed record BreachLetter(string Reference, string Subject, string Body, bool Complete, IReadOnlyList<string> Missing);

public sealed partial class BreachService
{
    /// <summary>ACC008: the ICO report draft, grouped as the ICO's online form asks (§1.6), with every Art. 33(3) item
    /// and the list of what is missing. No affected person's personal data is included, as the ICO asks.</summary>
    public async Task<Outcome<JsonObject>> IcoReportAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var breach = await db.Set<Breach>().AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (breach is null)
        {
            return Outcome<JsonObject>.NotFound("id", "No breach has this id.");
        }
        var view = (await ViewAsync(breach, cancellationToken))!;
        var organisation = await register.OrganisationAsync(cancellationToken);
        var taxonomy = await register.TaxonomyAsync(cancellationToken);
        var items = Art33(view, organisation);
        var missing = BreachDrafts.Missing(items);
        var initial = view.IcoNotifications.FirstOrDefault(n => n.Type == IcoReportTypes.Initial);
        var caseReference = view.IcoNotifications.LastOrDefault(n => n.CaseReference is not null)?.CaseReference;
        var reportedLate = initial is not null ? initial.Late : view.IcoDeadline is { } due && time.GetUtcNow() > due;
        var contact = organisation.Dpo;
        return Outcome<JsonObject>.Success(new JsonObject
        {
            ["reference"] = view.Reference,
            ["complete"] = missing.Count == 0,
            ["missing"] = Array(missing),
            ["art33"] = new JsonObject
            {
                [BreachDrafts.Nature] = items[BreachDrafts.Nature],
                [BreachDrafts.Contact] = items[BreachDrafts.Contact],
                [BreachDrafts.LikelyConsequences] = items[BreachDrafts.LikelyConsequences],
                [BreachDrafts.Measures] = items[BreachDrafts.Measures],
            },
            ["report"] = new JsonObject
            {
                ["reportType"] = initial is null ? IcoReportTypes.Initial : IcoReportTypes.FollowUp,
                ["icoCaseReference"] = caseReference,
                ["icoStaffSpokenTo"] = null,
            },
            ["organisation"] = new JsonObject
            {
                ["name"] = organisation.Name,
                ["address"] = organisation.Address,
                ["icoRegistrationNumber"] = null,
                ["sector"] = null,
                ["size"] = organisation.EmployeeCount is { } n ? $"{n} employees" : null,
                ["reporter"] = view.ReportedBy,
                ["dpo"] = contact is null ? null : new JsonObject { ["name"] = contact.Name, ["email"] = contact.Email, ["phone"] = contact.Phone },
            },
            ["whatHappened"] = new JsonObject
            {
                ["description"] = view.Description,
                ["causedByCyberIncident"] = view.CausedByCyberIncident ?? "unknown",
                ["howFound"] = view.HowDiscovered,
                ["discoveredAt"] = view.DiscoveredAt,
                ["occurredAt"] = view.OccurredAt is { } occurred ? occurred : "unknown",
                ["awareAt"] = view.AwareAt,
                ["icoDeadline"] = view.IcoDeadline,
                ["reportedAfter72Hours"] = reportedLate,
                ["reasonsForDelay"] = initial?.LateReason,
            },
            ["dataAndPeople"] = new JsonObject
            {
                ["dataCategories"] = Array(BreachDrafts.IcoDataCategories(view.DataCategories, taxonomy)),
                ["dataCategoryKeys"] = Array(view.DataCategories),
                ["approximateRecords"] = view.ApproximateRecords,
                ["approximateSubjects"] = view.ApproximateSubjects,
                ["subjectCategories"] = Array(view.SubjectCategories.Count == 0 ? ["not yet known"] : view.SubjectCategories),
            },
            ["consequences"] = new JsonObject
            {
                ["potentialConsequences"] = view.LikelyConsequences,
                ["likelihoodOfSignificantConsequences"] = BreachDrafts.Likelihood(view.RiskLevel),
                ["riskLevel"] = view.RiskLevel,
                ["riskReason"] = view.RiskReason,
                ["severity"] = view.Severity is null ? null : JsonSerializer.SerializeToNode(view.Severity, Json),
            },
            ["staff"] = new JsonObject { ["staffMemberInvolved"] = null, ["dataProtectionTraining"] = null },
            ["measures"] = new JsonObject
            {
                ["priorSafeguards"] = null,
                ["containmentAndRecovery"] = view.Containment,
                ["furtherMeasures"] = view.Measures,
                ["stepsAgainstRecurrence"] = Array(view.Actions.Select(a => a.Description).ToList()),
            },
            ["tellingOthers"] = new JsonObject
            {
                ["peopleTold"] = view.Communications.Count > 0 ? "yes" : view.IndividualsDecision is { Notify: true } ? "planned" : view.IndividualsDecision is null ? "not yet decided" : "no",
                ["whyNotTold"] = view.IndividualsDecision is { Notify: false } d
                    ? d.Art34Exception is { } e ? $"{Art34Exceptions.All[e]}. {d.Reason}" : d.Reason
                    : null,
                ["publicCommunication"] = view.IndividualsDecision?.PublicCommunication,
                ["otherBodiesTold"] = null,
            },
            ["cyberIncident"] = new JsonObject
            {
                ["affected"] = Array(view.BreachTypes),
                ["impactOnOrganisation"] = null,
                ["expectedRecoveryTime"] = null,
            },
        });
    }

    /// <summary>The four Art. 33(3) items as text, from what the report, triage and assessment recorded.</summary>
    private static Dictionary<string, string?> Art33(BreachView view, Organisation organisation)
    {
        var who = view.ApproximateSubjects is { } people ? $"about {people.ToString(CultureInfo.InvariantCulture)} people" : "an unknown number of people";
        var records = view.ApproximateRecords is { } count ? $"about {count.ToString(CultureInfo.InvariantCulture)} records" : "an unknown number of records";
        var categories = view.DataCategories.Count == 0 ? "categories of personal data not yet known" : string.Join(", ", view.DataCategories);
        var subjects = view.SubjectCategories.Count == 0 ? "" : $" ({string.Join(", ", view.SubjectCategories)})";
        var contact = organisation.Dpo is { } dpo && (dpo.Email ?? dpo.Phone) is not null
            ? string.Join(", ", new[] { dpo.Name ?? "Data protection officer", dpo.Email, dpo.Phone }.Where(s => !string.IsNullOrWhiteSpace(s)))
            : organisation.Email ?? organisation.Phone;
        var measures = string.Join(" ", new[] { view.Containment, view.Measures }.Where(s => !string.IsNullOrWhiteSpace(s)));
        return new Dictionary<string, string?>
        {
            [BreachDrafts.Nature] = $"{view.Description} Concerns {who}{subjects} and {records}: {categories}.",
            [BreachDrafts.Contact] = contact,
            [BreachDrafts.LikelyConsequences] = view.LikelyConsequences,
            [BreachDrafts.Measures] = measures.Length == 0 ? null : measures,
        };
    }

    /// <summary>The ICO draft as a readable page the DPO copies into the ICO's online form.</summary>
    public static string IcoReportHtml(JsonObject report)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>ICO breach report draft {{E(report["reference"])}}</title>
            <style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;line-height:1.5}th{text-align:left;vertical-align:top;padding-right:1rem;width:16rem}.missing{color:#a00;font-weight:bold}</style>
            </head><body><h1>Personal data breach report to the ICO: draft {{E(report["reference"])}}</h1>
            """);
        var missing = report["missing"]!.AsArray();
        html.Append(missing.Count == 0
            ? "<p>Every Art. 33(3) item is present.</p>"
            : $"<p class=\"missing\">Incomplete (ACC008): missing {E(string.Join(", ", missing.Select(m => m!.GetValue<string>())))}.</p>");
        foreach (var (group, node) in report)
        {
            if (node is not JsonObject section)
            {
                continue;
            }
            html.Append(CultureInfo.InvariantCulture, $"<h2>{E(Words(group))}</h2><table>");
            foreach (var (field, value) in section)
            {
                var text = value switch
                {
                    null => "<span class=\"missing\">to complete</span>",
                    JsonArray list => E(string.Join("; ", list.Select(v => v?.ToString()))),
                    JsonObject nested => E(string.Join("; ", nested.Select(p => $"{Words(p.Key)}: {p.Value}"))),
                    _ => E(value.ToString()),
                };
                html.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{E(Words(field))}</th><td>{text}</td></tr>");
            }
            html.Append("</table>");
        }
        return html.Append("</body></html>").ToString();
    }

    public async Task<Outcome<BreachLetter>> LetterAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var breach = await db.Set<Breach>().AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        return breach is null
            ? Outcome<BreachLetter>.NotFound("id", "No breach has this id.")
            : Outcome<BreachLetter>.Success(Letter(breach, await register.OrganisationAsync(cancellationToken)));
    }

    /// <summary>Art. 34(2) in plain language: what happened and to which data (a), who to contact (b), what may happen
    /// (c), what is being done (d), and what people can do to protect themselves (WP250).</summary>
    private static BreachLetter Letter(Breach breach, Organisation organisation)
    {
        var categories = JsonSerializer.Deserialize<List<string>>(breach.DataCategories, Json) ?? [];
        var contact = organisation.Dpo is { } dpo && (dpo.Email ?? dpo.Phone) is not null
            ? string.Join(", ", new[] { dpo.Name ?? "our data protection officer", dpo.Email, dpo.Phone }.Where(s => !string.IsNullOrWhiteSpace(s)))
            : organisation.Email ?? organisation.Phone;
        var measures = string.Join(" ", new[] { breach.Containment, breach.Measures }.Where(s => !string.IsNullOrWhiteSpace(s)));
        var items = new Dictionary<string, string?>
        {
            [BreachDrafts.Nature] = breach.Description,
            [BreachDrafts.Contact] = contact,
            [BreachDrafts.LikelyConsequences] = breach.LikelyConsequences,
            [BreachDrafts.Measures] = measures.Length == 0 ? null : measures,
        };
        var missing = BreachDrafts.Missing(items);
        var name = string.IsNullOrWhiteSpace(organisation.Name) ? "We" : organisation.Name;
        var body = $"""
            We are writing to tell you about a personal data breach at {name} that affects information about you.

            What happened
            {breach.Description}
            {(categories.Count == 0 ? "" : $"The information involved: {string.Join(", ", categories.Select(Words))}.")}
            {(breach.OccurredAt is { } at ? $"It happened on {at.UtcDateTime:d MMMM yyyy}" : "We do not yet know exactly when it happened")}, and we found out on {breach.DiscoveredAt.UtcDateTime:d MMMM yyyy}.

            What this could mean for you
            {breach.LikelyConsequences ?? "[to complete: the likely consequences]"}

            What we are doing about it
            {(measures.Length == 0 ? "[to complete: the measures taken or proposed]" : measures)}

            What you can do
            {breach.AdviceToPeople ?? "Be wary of unexpected messages that mention this incident or ask for your details, and tell us if you notice anything unusual."}

            Who to contact
            If you have questions, contact {contact ?? "[to complete: our data protection officer's contact details]"} quoting {breach.Reference}.
            You also have the right to complain to the Information Commissioner's Office (ico.org.uk/make-a-complaint, 0303 123 1113).
            """;
        return new BreachLetter(breach.Reference, $"Important: a data breach affecting your information ({breach.Reference})", body, missing.Count == 0, missing);
    }

    /// <summary>ACC005: every breach, notified or not, one row each, as an auditor or the ICO would ask for it.</summary>
    public async Task ExportCsvAsync(TextWriter output, string actor, CancellationToken cancellationToken = default)
    {
        var breaches = (await db.Set<Breach>().AsNoTracking().ToListAsync(cancellationToken)).OrderBy(b => b.Year).ThenBy(b => b.Sequence).ToList();
        var actions = await db.Set<BreachAction>().AsNoTracking().ToListAsync(cancellationToken);
        await audit.RecordAsync(actor, "breaches.exported", "", new JsonObject { ["count"] = breaches.Count }, cancellationToken);
        await using var csv = new CsvWriter(output, CultureInfo.InvariantCulture, leaveOpen: true);
        string[] headers = ["reference", "title", "status", "is_breach", "triage_reason", "reported_at", "occurred_at", "discovered_at", "aware_at",
            "ico_deadline", "systems", "data_categories", "subject_categories", "breach_types", "approximate_subjects", "approximate_records",
            "containment", "severity_se", "severity_band", "risk_level", "risk_reason", "ico_notify", "ico_reason", "ico_notified_at",
            "ico_case_reference", "late_reason", "individuals_notify", "art34_exception", "individuals_reason", "people_told", "actions_open",
            "closed_at", "lessons_learned"];
        foreach (var header in headers)
        {
            csv.WriteField(header);
        }
        await csv.NextRecordAsync();
        foreach (var b in breaches)
        {
            var severity = Read<Severity>(b.Severity);
            var ico = Read<IcoDecision>(b.IcoDecision);
            var individuals = Read<IndividualsDecision>(b.IndividualsDecision);
            var notifications = List<IcoNotification>(b.IcoNotifications);
            var initial = notifications.FirstOrDefault(n => n.Type == IcoReportTypes.Initial);
            object?[] fields = [b.Reference, b.Title, b.Status, b.IsBreach, b.TriageReason, Iso(b.ReportedAt), Iso(b.OccurredAt), Iso(b.DiscoveredAt),
                Iso(b.AwareAt), Iso(b.IcoDeadline), Joined(b.Systems), Joined(b.DataCategories), Joined(b.SubjectCategories), Joined(b.BreachTypes),
                b.ApproximateSubjects, b.ApproximateRecords, b.Containment, severity?.Se, severity?.Band, b.RiskLevel, b.RiskReason, ico?.Notify, ico?.Reason,
                Iso(initial?.SentAt), notifications.LastOrDefault(n => n.CaseReference is not null)?.CaseReference, initial?.LateReason,
                individuals?.Notify, individuals?.Art34Exception, individuals?.Reason, List<Communication>(b.Communications).Sum(c => c.Recipients),
                actions.Count(a => a.BreachId == b.Id && a.DoneAt is null && a.WaivedReason is null), Iso(b.ClosedAt), b.LessonsLearned];
            foreach (var field in fields)
            {
                csv.WriteField(field switch
                {
                    null => "",
                    bool flag => flag ? "true" : "false",
                    IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
                    _ => field.ToString(),
                });
            }
            await csv.NextRecordAsync();
        }
        await csv.FlushAsync();
    }

    private static string? Iso(DateTimeOffset? at) => at?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Joined(string json) => string.Join("; ", List<string>(json));

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static string E(object? value) => WebUtility.HtmlEncode(value?.ToString() ?? "");

    /// <summary><c>likelyConsequences</c> → "likely consequences"; <c>user.contact.email</c> → "contact email".</summary>
    private static string Words(string key)
    {
        var text = key.StartsWith("user.", StringComparison.Ordinal) ? key[5..].Replace('.', ' ').Replace('_', ' ') : key;
        var words = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsUpper(c) && words.Length > 0)
            {
                words.Append(' ');
            }
            words.Append(char.ToLowerInvariant(c));
        }
        return words.ToString();
    }
}
