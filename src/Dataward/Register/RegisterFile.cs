using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Dataward.Connectors.Formats;
using Dataward.Domain;
using Dataward.Domain.Register;
using Dataward.Domain.Taxonomy;

namespace Dataward.Register;

/// <summary>A custom taxonomy key as the register file carries it.</summary>
public sealed record RegisterTerm(string Key, string Name, string Parent, string? Description = null);

/// <summary>The organisation's own taxonomy keys, by hierarchy.</summary>
public sealed record RegisterTaxonomy
{
    public IReadOnlyList<RegisterTerm> DataCategories { get; init; } = [];
    public IReadOnlyList<RegisterTerm> DataUses { get; init; } = [];
    public IReadOnlyList<RegisterTerm> DataSubjects { get; init; } = [];

    public IEnumerable<(TaxonomyKind Kind, RegisterTerm Term)> All =>
        DataCategories.Select(t => (TaxonomyKind.DataCategories, t))
            .Concat(DataUses.Select(t => (TaxonomyKind.DataUses, t)))
            .Concat(DataSubjects.Select(t => (TaxonomyKind.DataSubjects, t)));
}

/// <summary>A consent purpose as the register file carries it (activities link to it by key; the link back from the
/// purpose to activities is kept in the ledger, by activity id, and is not part of the file).</summary>
public sealed record RegisterConsentPurpose(string Key, string Title, string Description, bool Explicit = false, bool Sensitive = false,
    bool Children = false, bool SaleOrSharing = false, bool DirectMarketing = false, int? RefreshAfterDays = null, bool Retired = false)
{
    public static RegisterConsentPurpose From(Consent.ConsentPurposeRecord p) =>
        new(p.Key, p.Title, p.Description, p.Explicit, p.Sensitive, p.Children, p.SaleOrSharing, p.DirectMarketing, p.RefreshAfterDays, p.Retired);

    public void ApplyTo(Consent.ConsentPurposeRecord record, DateTimeOffset now)
    {
        record.Title = Title.Trim();
        record.Description = Description.Trim();
        record.Explicit = Explicit;
        record.Sensitive = Sensitive;
        record.Children = Children;
        record.SaleOrSharing = SaleOrSharing;
        record.DirectMarketing = DirectMarketing;
        record.RefreshAfterDays = RefreshAfterDays;
        record.Retired = Retired;
        record.UpdatedAt = now;
    }
}

/// <summary>The register as code: what <c>register export</c> writes and <c>register import</c> applies.</summary>
public sealed record RegisterDocument
{
    public Organisation? Organisation { get; init; }
    public IReadOnlyList<RegisterConsentPurpose> ConsentPurposes { get; init; } = [];
    public RegisterTaxonomy? Taxonomy { get; init; }
    public IReadOnlyList<PolicyRuleRequest> Policies { get; init; } = [];
    public IReadOnlyList<ProcessingActivity> Activities { get; init; } = [];
}

public enum RegisterFormat
{
    Yaml,
    Json,
    Csv,
    Xlsx,
}

/// <summary>Reads and writes register files. YAML and JSON round-trip; CSV and XLSX follow the ICO controller
/// template's columns (register.md §1.4) and are for people, not for import.</summary>
public static class RegisterFile
{
    /// <summary>The largest register file accepted (a register of thousands of activities is well under this).</summary>
    public const int MaxBytes = 8 * 1024 * 1024;

    public static string ContentType(RegisterFormat format) => format switch
    {
        RegisterFormat.Yaml => "application/yaml",
        RegisterFormat.Json => "application/json",
        RegisterFormat.Csv => "text/csv",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };

    public static bool TryParseFormat(string? text, out RegisterFormat format) =>
        Enum.TryParse(text ?? "yaml", ignoreCase: true, out format) && Enum.IsDefined(format) && !int.TryParse(text, out _);

    /// <summary>Parses YAML or JSON (JSON is YAML, but it is read strictly as JSON when it starts with '{').</summary>
    public static Outcome<RegisterDocument> Parse(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            return Outcome<RegisterDocument>.Invalid("file", $"The file is larger than {MaxBytes / 1024 / 1024} MB.");
        }
        try
        {
            var node = text.TrimStart().StartsWith('{')
                ? JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = YamlJson.MaxDepth })
                : YamlJson.Read(new StringReader(text));
            if (node is not JsonObject)
            {
                return Outcome<RegisterDocument>.Invalid("file", "A register file is a mapping with organisation, taxonomy, policies and activities.");
            }
            return Outcome<RegisterDocument>.Success(node.Deserialize<RegisterDocument>(RegisterService.Json)!);
        }
        catch (FormatException e)
        {
            return Outcome<RegisterDocument>.Invalid("file", e.Message);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "file" : e.Path.TrimStart('$', '.');
            return Outcome<RegisterDocument>.Invalid(field, e.Message.Contains("maximum configured depth", StringComparison.Ordinal)
                ? "The document is nested too deeply."
                : $"The value at '{e.Path}' is missing, unknown or not of the expected type.");
        }
    }

    public static async Task WriteAsync(RegisterDocument document, IReadOnlyList<ActivityView> activities, RegisterFormat format,
        Stream output, CancellationToken cancellationToken)
    {
        switch (format)
        {
            case RegisterFormat.Json:
                await JsonSerializer.SerializeAsync(output, document, new JsonSerializerOptions(RegisterService.Json) { WriteIndented = true }, cancellationToken);
                break;
            case RegisterFormat.Yaml:
                await using (var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true))
                {
                    YamlJson.Write(JsonSerializer.SerializeToNode(document, RegisterService.Json), writer);
                }
                break;
            case RegisterFormat.Csv:
                await using (var writer = new StreamWriter(output, new UTF8Encoding(true), leaveOpen: true))
                await using (var csv = new CsvWriter(writer, CultureInfo.InvariantCulture))
                {
                    foreach (var (label, value) in ControllerBlock(document.Organisation ?? new Organisation()))
                    {
                        csv.WriteField(label);
                        csv.WriteField(value);
                        await csv.NextRecordAsync();
                    }
                    await csv.NextRecordAsync();
                    foreach (var header in Columns)
                    {
                        csv.WriteField(header);
                    }
                    await csv.NextRecordAsync();
                    foreach (var row in activities.Select(Row))
                    {
                        foreach (var field in row)
                        {
                            csv.WriteField(field);
                        }
                        await csv.NextRecordAsync();
                    }
                }
                break;
            case RegisterFormat.Xlsx:
                var sheets = new Dictionary<string, object>
                {
                    ["Controller"] = ControllerBlock(document.Organisation ?? new Organisation())
                        .Select(p => new Dictionary<string, object> { ["Item"] = p.Label, ["Details"] = p.Value }).ToList(),
                    ["Processing activities"] = activities.Select(a => Columns.Zip(Row(a))
                        .ToDictionary(c => c.First, c => (object)c.Second)).ToList(),
                };
                using (var buffer = new MemoryStream())
                {
                    await MiniExcelLibs.MiniExcel.SaveAsAsync(buffer, sheets, cancellationToken: cancellationToken);
                    buffer.Position = 0;
                    await buffer.CopyToAsync(output, cancellationToken);
                }
                break;
        }
    }

    /// <summary>Art. 30(1)(a): controller, DPO and representative, above the table as the ICO template has them.</summary>
    public static IReadOnlyList<(string Label, string Value)> ControllerBlock(Organisation o) =>
    [
        ("Controller", o.Name), ("Controller address", o.Address ?? ""), ("Controller email", o.Email ?? ""), ("Controller telephone", o.Phone ?? ""),
        ("Data Protection Officer", o.Dpo?.Name ?? ""), ("DPO address", o.Dpo?.Address ?? ""), ("DPO email", o.Dpo?.Email ?? ""), ("DPO telephone", o.Dpo?.Phone ?? ""),
        ("Representative", o.Representative?.Name ?? ""), ("Representative address", o.Representative?.Address ?? ""),
        ("Representative email", o.Representative?.Email ?? ""), ("Representative telephone", o.Representative?.Phone ?? ""),
    ];

    /// <summary>The ICO controller template's 30 columns in its order, then Dataward's own.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "Business function", "Purpose of processing", "Name and contact details of joint controller (if applicable)",
        "Categories of individuals", "Categories of personal data", "Categories of recipients", "Link to contract with processor",
        "Names of third countries or international organisations that personal data are transferred to (if applicable)",
        "Safeguards for exceptional transfers of personal data to third countries or international organisations (if applicable)",
        "Retention schedule (if possible)", "General description of technical and organisational security measures (if possible)",
        "Article 6 lawful basis for processing personal data", "Article 9 condition for processing special category data",
        "Legitimate interests for the processing (if applicable)", "Link to record of legitimate interests assessment (if applicable)",
        "Rights available to individuals", "Existence of automated decision-making, including profiling (if applicable)",
        "The source of the personal data (if applicable)", "Link to record of consent", "Location of personal data",
        "Data Protection Impact Assessment required?", "Data Protection Impact Assessment progress", "Link to Data Protection Impact Assessment",
        "Has a personal data breach occurred?", "Link to record of personal data breach",
        "Data Protection Act 2018 Schedule 1 Condition for processing", "GDPR Article 6 lawful basis for processing",
        "Link to retention and erasure policy document", "Is personal data retained and erased in accordance with the policy document?",
        "Reasons for not adhering to policy document (if applicable)",
        "Name", "Status", "Owner", "Id", "Version", "Last reviewed", "Review due",
    ];

    private static string List(IEnumerable<string?> values) => string.Join("; ", values.Where(v => !string.IsNullOrWhiteSpace(v)));

    private static string YesNo(bool? value) => value switch { true => "Yes", false => "No", null => "" };

    public static IReadOnlyList<string> Row(ActivityView a) =>
    [
        a.BusinessFunction ?? "",
        List([List(a.Purposes), a.Description]),
        List(a.JointControllers),
        List(a.DataSubjects),
        List(a.DataCategories),
        List(a.Recipients.Select(r => $"{r.Name} ({r.Kind})")),
        List(a.Recipients.Where(r => r.Kind == "processor").Select(r => r.ContractLink)),
        List(a.Transfers.Select(t => t.Country ?? t.InternationalOrganisation)),
        List(a.Transfers.Select(t => List([t.Mechanism, t.Derogation, t.DocumentLink]))),
        a.Retention is { } r ? List([r.Period, r.Criteria, r.Trigger is null ? null : $"from {r.Trigger}"]) : "",
        a.SecurityMeasures ?? "",
        a.LawfulBasis ?? "",
        a.Article9Condition ?? "",
        a.LegitimateInterestsAssessment?.Purpose ?? "",
        a.LegitimateInterestsAssessment?.Link ?? "",
        List(a.RightsAvailable),
        a.AutomatedDecisionMaking is { Exists: true } adm ? List(["Yes", adm.Logic, adm.Article22Ground]) : "No",
        List(a.Sources),
        a.ConsentPurpose ?? "",
        List([.. a.Datasets, .. a.Systems]),
        YesNo(a.Dpia?.Required),
        a.Dpia?.Status ?? "",
        a.Dpia?.Link ?? "",
        "", // breaches: the breach log arrives with its own issue
        "",
        a.Schedule1Condition ?? "",
        a.Schedule1Condition is null ? "" : a.LawfulBasis ?? "",
        a.Retention?.PolicyLink ?? "",
        YesNo(a.Retention?.AdheresToPolicy),
        a.Retention?.NonAdherenceReason ?? "",
        a.Name, a.Status, a.Owner ?? "", a.Id.ToString(), a.Version.ToString(CultureInfo.InvariantCulture),
        a.LastReviewedAt?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", a.ReviewDueAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    ];
}
