using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Dataward.Consent;
using Dataward.Domain.Register;
using Dataward.Platform.Security;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>Where an access or portability request stands in its run against the connected databases, and what the
/// run found (requests.md §3.1, §3.6). One row per request; the job claims it with a lease, so a crash or a dropped
/// connection is retried later and the run (read-only) is simply done again.</summary>
public sealed class RequestAccessRecord
{
    public Guid RequestId { get; set; }
    /// <summary><see cref="AccessRunStatus"/>.</summary>
    public required string Status { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    /// <summary>While a run holds the request: another instance leaves it alone until then.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    public string? LastError { get; set; }
    /// <summary>The rows found, as encrypted JSON (<see cref="AccessResultVault"/>).</summary>
    public string? ResultEncrypted { get; set; }
    /// <summary>Rows per <c>dataset:collection</c>, as JSON: counts only, shown to staff without decrypting.</summary>
    public string RowCounts { get; set; } = "{}";
    /// <summary>Third-party data flags (DSR012), as JSON.</summary>
    public string Flags { get; set; } = "[]";
    /// <summary>The ZIP, base64, encrypted.</summary>
    public string? PackageEncrypted { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? ReleasedAt { get; set; }
    public string? ReleasedBy { get; set; }
    public DateTimeOffset? DownloadExpiresAt { get; set; }
    public int Downloads { get; set; }
    public int Version { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<RequestAccessRecord>(e =>
    {
        e.ToTable("request_access");
        e.HasKey(r => r.RequestId);
        e.Property(r => r.RequestId).HasColumnName("request_id").ValueGeneratedNever();
        e.Property(r => r.Status).HasColumnName("status").HasMaxLength(20);
        e.Property(r => r.Attempts).HasColumnName("attempts");
        e.Property(r => r.NextAttemptAt).HasColumnName("next_attempt_at");
        e.Property(r => r.LeaseUntil).HasColumnName("lease_until");
        e.Property(r => r.LastError).HasColumnName("last_error").HasMaxLength(2000);
        e.Property(r => r.ResultEncrypted).HasColumnName("result_encrypted");
        e.Property(r => r.RowCounts).HasColumnName("row_counts");
        e.Property(r => r.Flags).HasColumnName("flags");
        e.Property(r => r.PackageEncrypted).HasColumnName("package_encrypted");
        e.Property(r => r.CompletedAt).HasColumnName("completed_at");
        e.Property(r => r.ReleasedAt).HasColumnName("released_at");
        e.Property(r => r.ReleasedBy).HasColumnName("released_by").HasMaxLength(120);
        e.Property(r => r.DownloadExpiresAt).HasColumnName("download_expires_at");
        e.Property(r => r.Downloads).HasColumnName("downloads");
        e.Property(r => r.Version).HasColumnName("version").IsConcurrencyToken();
        e.HasIndex(r => new { r.Status, r.NextAttemptAt });
        e.HasOne<SubjectRequest>().WithMany().HasForeignKey(r => r.RequestId).OnDelete(DeleteBehavior.Restrict);
    });
}

public static class AccessRunStatus
{
    /// <summary>Waiting for its first or next attempt (<see cref="RequestAccessRecord.NextAttemptAt"/>).</summary>
    public const string Pending = "pending";
    /// <summary>A run holds the lease.</summary>
    public const string Running = "running";
    /// <summary>The data was read and the package built.</summary>
    public const string Done = "done";
}

/// <summary>A third-party data flag (DSR012, Art. 15(4)): a field whose values may be about someone else. Staff check
/// (and redact by hand where needed) before the package is released.</summary>
public sealed record PackageFlag(string Id, string Collection, IReadOnlyList<string> Fields, string Reason, bool Resolved = false,
    string? ResolvedBy = null, string? Note = null);

/// <summary>The rows an access run found, per <c>dataset:collection</c> as Fides keys its raw access results.</summary>
public sealed record AccessResultDocument(JsonObject Collections);

/// <summary>Keeps access results and packages encrypted at rest under the requester's own data key (MIN017), so
/// erasing the person shreds them, backups included. Results and packages from before crypto-shredding, under the key
/// ring, still read. Unprotecting a shredded value throws <see cref="Shredding.SubjectKeyDestroyedException"/>.</summary>
public sealed class AccessResultVault(Shredding.SubjectKeys subjectKeys)
{
    private const string ResultPurpose = "requests.results";
    private const string PackagePurpose = "requests.package";

    public Task<string> ProtectAsync(string subjectHash, JsonObject collections, CancellationToken cancellationToken) =>
        subjectKeys.EncryptForAsync(subjectHash, collections.ToJsonString(), ResultPurpose, cancellationToken);

    public async Task<JsonObject> UnprotectAsync(string encrypted, CancellationToken cancellationToken) =>
        JsonNode.Parse(await subjectKeys.DecryptAsync(encrypted, ResultPurpose, cancellationToken))!.AsObject();

    public Task<string> ProtectPackageAsync(string subjectHash, byte[] zip, CancellationToken cancellationToken) =>
        subjectKeys.EncryptForAsync(subjectHash, Convert.ToBase64String(zip), PackagePurpose, cancellationToken);

    public async Task<byte[]> UnprotectPackageAsync(string encrypted, CancellationToken cancellationToken) =>
        Convert.FromBase64String(await subjectKeys.DecryptAsync(encrypted, PackagePurpose, cancellationToken));
}

/// <summary>Everything a package is made of, gathered by the service.</summary>
public sealed record PackageContents(string Reference, string Type, DateTimeOffset GeneratedAt, Organisation Organisation, JsonObject Collections,
    IReadOnlyList<ActivityView> Activities, bool ActivitiesLinked, IReadOnlyList<ConsentHistoryEntry> ConsentHistory, string ComplaintRights);

/// <summary>Builds the ZIP the person receives (DSR011, DSR026): <c>report.html</c> in plain language, <c>data.json</c>,
/// one CSV per collection under <c>csv/</c>, <c>supplementary.json</c> (Art. 15(1)(a)-(h) and 15(2) from the
/// register) and <c>consent-history.json</c>. A portability package (Art. 20) holds the data as JSON and CSV only.</summary>
public static class AccessPackage
{
    public static byte[] Build(PackageContents contents)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var portability = contents.Type == Domain.Requests.RequestTypes.Portability;
            if (!portability)
            {
                Add(zip, "report.html", Report(contents));
                Add(zip, "supplementary.json", Supplementary(contents).ToJsonString(Indented));
                Add(zip, "consent-history.json", JsonSerializer.Serialize(contents.ConsentHistory.Select(ConsentEntry), Indented));
            }
            else
            {
                Add(zip, "README.txt", $"""
                    Your data, {contents.Reference}, in a structured, commonly used, machine-readable format (Art. 20 UK GDPR):
                    data.json holds every record, and csv/ one file per table. Generated {contents.GeneratedAt:yyyy-MM-dd HH:mm} UTC.
                    """);
            }
            Add(zip, "data.json", new JsonObject
            {
                ["reference"] = contents.Reference,
                ["generatedAt"] = contents.GeneratedAt.ToString("O", CultureInfo.InvariantCulture),
                ["collections"] = contents.Collections.DeepClone(),
            }.ToJsonString(Indented));
            foreach (var (key, rows) in contents.Collections)
            {
                Add(zip, $"csv/{key.Replace(':', '.')}.csv", Csv(rows!.AsArray()));
            }
        }
        return buffer.ToArray();
    }

    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static void Add(ZipArchive zip, string name, string text)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        using var stream = entry.Open();
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write(text);
    }

    private static string Csv(JsonArray rows)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        var columns = rows.OfType<JsonObject>().SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var column in columns)
        {
            csv.WriteField(column);
        }
        csv.NextRecord();
        foreach (var row in rows.OfType<JsonObject>())
        {
            foreach (var column in columns)
            {
                csv.WriteField(Text(row[column]));
            }
            csv.NextRecord();
        }
        csv.Flush();
        return writer.ToString();
    }

    private static string Text(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(),
    };

    private static object ConsentEntry(ConsentHistoryEntry e) => new
    {
        e.Purpose,
        e.PurposeTitle,
        e.Action,
        e.NoticeVersion,
        e.Method,
        e.OccurredAt,
        e.RecordedAt,
    };

    /// <summary>Art. 15(1)(a)-(h) and 15(2), activity by activity, from the register.</summary>
    public static JsonObject Supplementary(PackageContents c)
    {
        var activities = new JsonArray();
        foreach (var a in c.Activities)
        {
            activities.Add(new JsonObject
            {
                ["activity"] = a.Name,
                ["purposes"] = Array(a.Purposes),
                ["lawfulBasis"] = a.LawfulBasis,
                ["dataCategories"] = Array(a.DataCategories),
                ["recipients"] = new JsonArray([.. a.Recipients.Select(r => (JsonNode?)new JsonObject { ["name"] = r.Name, ["kind"] = r.Kind, ["country"] = r.Country })]),
                ["retention"] = RetentionText(a.Retention),
                ["sources"] = Array(a.Sources),
                ["automatedDecisionMaking"] = a.AutomatedDecisionMaking is { Exists: true } adm
                    ? new JsonObject { ["exists"] = true, ["logic"] = adm.Logic, ["article22Ground"] = adm.Article22Ground }
                    : new JsonObject { ["exists"] = false },
                ["transfers"] = new JsonArray([.. a.Transfers.Select(t => (JsonNode?)new JsonObject
                {
                    ["country"] = t.Country,
                    ["internationalOrganisation"] = t.InternationalOrganisation,
                    ["recipient"] = t.Recipient,
                    ["safeguard"] = t.Mechanism ?? t.Derogation,
                })]),
                ["rightsAvailable"] = Array(a.RightsAvailable),
            });
        }
        return new JsonObject
        {
            ["reference"] = c.Reference,
            ["controller"] = new JsonObject { ["name"] = c.Organisation.Name, ["email"] = c.Organisation.Email, ["dpo"] = c.Organisation.Dpo?.Email },
            ["dataHeld"] = c.Collections.Any(p => p.Value!.AsArray().Count > 0),
            ["activities"] = activities,
            ["rights"] = new JsonArray([.. Rights.Select(r => (JsonNode?)r)]),
            ["complaint"] = c.ComplaintRights,
        };
    }

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);

    private static string RetentionText(Domain.Register.Retention? r) => r switch
    {
        null => "Not recorded",
        { Period: { } period } => $"{Period(period)}{(r.Trigger is null ? "" : $" from {r.Trigger}")}",
        { Criteria: { } criteria } => criteria,
        _ => "Not recorded",
    };

    private static string Period(string iso)
    {
        var m = System.Text.RegularExpressions.Regex.Match(iso, "^P(?:(\\d+)Y)?(?:(\\d+)M)?(?:(\\d+)D)?$");
        if (!m.Success)
        {
            return iso;
        }
        var parts = new List<string>();
        void Part(System.Text.RegularExpressions.Group g, string unit)
        {
            if (g.Success)
            {
                parts.Add($"{g.Value} {unit}{(g.Value == "1" ? "" : "s")}");
            }
        }
        Part(m.Groups[1], "year");
        Part(m.Groups[2], "month");
        Part(m.Groups[3], "day");
        return string.Join(", ", parts);
    }

    private static readonly string[] Rights =
    [
        "Rectification (Art. 16): ask us to correct data that is wrong, or complete data that is incomplete.",
        "Erasure (Art. 17): ask us to delete your data, where a legal ground applies.",
        "Restriction (Art. 18): ask us to limit what we do with your data, for example while you contest its accuracy.",
        "Objection (Art. 21): object to processing based on our legitimate interests or a public task, and at any time to direct marketing.",
        "Portability (Art. 20): receive data you gave us, where we use it by consent or contract, in a machine-readable form.",
    ];

    private static string Report(PackageContents c)
    {
        var h = new StringBuilder();
        string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var organisation = string.IsNullOrWhiteSpace(c.Organisation.Name) ? "we" : c.Organisation.Name;
        h.Append(CultureInfo.InvariantCulture, $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Your data: {{E(c.Reference)}}</title>
            <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
            table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left}
            caption{text-align:left;font-weight:bold}</style></head><body>
            <h1>The personal data {{E(organisation)}} holds about you</h1>
            <p>This is our answer to your request {{E(c.Reference)}} for a copy of your personal data (Article 15 UK GDPR),
            prepared on {{c.GeneratedAt:d MMMM yyyy}}. It has four parts: the data itself, what we do with it and why, your
            consent choices, and your rights.</p>
            """);
        var held = c.Collections.Where(p => p.Value!.AsArray().Count > 0).ToList();
        h.Append("<h2>1. Your data</h2>");
        if (held.Count == 0)
        {
            h.Append("<p><strong>We hold no data about you</strong> in the systems we searched, using the details you gave us.</p>");
        }
        else
        {
            h.Append(CultureInfo.InvariantCulture, $"<p>We found {held.Sum(p => p.Value!.AsArray().Count)} records in {held.Count} tables. Each table is shown below; the same data is in <code>data.json</code> and, one file per table, in the <code>csv</code> folder.</p>");
            foreach (var (key, rows) in held)
            {
                var list = rows!.AsArray().OfType<JsonObject>().ToList();
                var columns = list.SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.Ordinal).ToList();
                h.Append(CultureInfo.InvariantCulture, $"<table><caption>{E(key.Split(':')[^1].Replace('_', ' '))} ({list.Count} {(list.Count == 1 ? "record" : "records")}, from {E(key.Split(':')[0])})</caption><thead><tr>");
                foreach (var column in columns)
                {
                    h.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{E(column)}</th>");
                }
                h.Append("</tr></thead><tbody>");
                foreach (var row in list)
                {
                    h.Append("<tr>");
                    foreach (var column in columns)
                    {
                        h.Append(CultureInfo.InvariantCulture, $"<td>{E(Text(row[column]))}</td>");
                    }
                    h.Append("</tr>");
                }
                h.Append("</tbody></table>");
            }
        }
        h.Append("<h2>2. What we do with your data, and why</h2>");
        if (c.Activities.Count == 0)
        {
            h.Append("<p>As we hold no data about you, none of our processing applies to you.</p>");
        }
        else if (!c.ActivitiesLinked)
        {
            h.Append("<p>These are all the ways we use personal data; our records do not yet say which of them your data is part of.</p>");
        }
        foreach (var a in c.Activities)
        {
            h.Append(CultureInfo.InvariantCulture, $"<h3>{E(a.Name)}</h3><dl>");
            void Fact(string label, string? text) => h.Append(CultureInfo.InvariantCulture, $"<dt>{E(label)}</dt><dd>{E(string.IsNullOrWhiteSpace(text) ? "Not recorded" : text)}</dd>");
            Fact("Why we use it (purposes)", string.Join("; ", a.Purposes));
            Fact("Our legal basis", a.LawfulBasis);
            Fact("Kinds of data", string.Join(", ", a.DataCategories));
            Fact("Who receives it", a.Recipients.Count == 0 ? "No one outside our organisation" : string.Join("; ", a.Recipients.Select(r => $"{r.Name} ({r.Kind}{(r.Country is null ? "" : $", {r.Country}")})")));
            Fact("How long we keep it", RetentionText(a.Retention));
            Fact("Where it comes from", a.Sources.Count == 0 ? "From you" : string.Join(", ", a.Sources));
            Fact("Automated decisions", a.AutomatedDecisionMaking is { Exists: true } adm
                ? $"Yes. How it works: {adm.Logic}. You can ask for a person to review a decision, give your view and contest it."
                : "We make no decisions about you by automated means alone, and no profiling with legal or similar effects.");
            Fact("Transfers outside the UK", a.Transfers.Count == 0 ? "None" : string.Join("; ", a.Transfers.Select(t =>
                $"{t.Recipient ?? t.InternationalOrganisation ?? "a recipient"} in {t.Country ?? t.InternationalOrganisation}, protected by {t.Mechanism ?? t.Derogation ?? "safeguards not recorded"}")));
            h.Append("</dl>");
        }
        h.Append("<h2>3. Your consent choices</h2>");
        if (c.ConsentHistory.Count == 0)
        {
            h.Append("<p>We have no record of consent choices from you.</p>");
        }
        else
        {
            h.Append("<table><caption>What you agreed to or refused, newest first</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Purpose</th><th scope=\"col\">What happened</th><th scope=\"col\">How</th></tr></thead><tbody>");
            foreach (var e in c.ConsentHistory)
            {
                h.Append(CultureInfo.InvariantCulture, $"<tr><td>{e.OccurredAt:yyyy-MM-dd HH:mm}</td><td>{E(e.PurposeTitle)}</td><td>{E(e.Action)}</td><td>{E(e.Method)}</td></tr>");
            }
            h.Append("</tbody></table>");
        }
        h.Append("<h2>4. Your rights</h2><ul>");
        foreach (var right in Rights)
        {
            h.Append(CultureInfo.InvariantCulture, $"<li>{E(right)}</li>");
        }
        h.Append(CultureInfo.InvariantCulture, $"</ul><p>{E(c.ComplaintRights)}</p><p>You may also seek a judicial remedy through the courts.</p></body></html>");
        return h.ToString();
    }
}
