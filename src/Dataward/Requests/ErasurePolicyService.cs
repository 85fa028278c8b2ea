using System.Text.Json;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Connectors.Execution;
using Dataward.Connectors.Masking;
using Dataward.Domain;
using Dataward.Domain.Taxonomy;
using Dataward.Platform.Storage;
using Dataward.Register;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Requests;

/// <summary>One rule: fields of <paramref name="DataCategory"/> (and below) are masked with <paramref name="Strategy"/>
/// (<c>auto</c>, <c>null_rewrite</c>, <c>string_rewrite</c>, <c>random_string_rewrite</c>, <c>hash</c>, <c>hmac</c>,
/// <c>date_truncate</c> or <c>delete_row</c>) and its Fides-shaped configuration.</summary>
public sealed record ErasureRuleDocument(string DataCategory, string Strategy, Dictionary<string, JsonElement>? Configuration = null);

/// <summary>A category the organisation must keep (Art. 17(3)): the legal reason, and when the duty ends (free text,
/// e.g. "6 years after the end of the financial year").</summary>
public sealed record ErasureExemptionDocument(string DataCategory, string Reason, string? RetentionEnds = null);

/// <summary>The erasure policy as the DPO edits it.</summary>
public sealed record ErasurePolicyDocument(IReadOnlyList<ErasureRuleDocument>? Rules = null, IReadOnlyList<ErasureExemptionDocument>? Exemptions = null)
{
    public static ErasurePolicyDocument Default { get; } = new([new ErasureRuleDocument("user", MaskingStrategy.Auto)], []);

    public ErasurePolicy ToPolicy() => new(
        [.. (Rules ?? []).Select(r => new ErasureRule(r.DataCategory, new MaskingSpec(r.Strategy, r.Configuration)))],
        [.. (Exemptions ?? []).Select(e => new ErasureExemption(e.DataCategory, e.Reason, e.RetentionEnds))]);
}

/// <summary>The policy in force, and who last changed it (null: the default, never changed).</summary>
public sealed record ErasurePolicyView(IReadOnlyList<ErasureRuleDocument> Rules, IReadOnlyList<ErasureExemptionDocument> Exemptions, bool IsDefault,
    DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>The organisation's erasure policy (issue 5 point 7): which data categories an erasure masks and how, and
/// which it must keep. Works with no set-up (<see cref="ErasurePolicyDocument.Default"/>); the DPO may change it.</summary>
public sealed class ErasurePolicyService(DatawardDbContext db, RegisterService register, AuditTrail audit, TimeProvider time)
{
    public const int MaxRules = 200;

    public async Task<ErasurePolicyView> GetAsync(CancellationToken cancellationToken = default)
    {
        var record = await db.Set<ErasurePolicyRecord>().AsNoTracking().FirstOrDefaultAsync(cancellationToken);
        var document = record is null ? ErasurePolicyDocument.Default : Parse(record.Document);
        return new ErasurePolicyView(document.Rules ?? [], document.Exemptions ?? [], record is null, record?.UpdatedAt, record?.UpdatedBy);
    }

    /// <summary>The policy an erasure approved now runs under.</summary>
    public async Task<ErasurePolicyDocument> CurrentAsync(CancellationToken cancellationToken = default)
    {
        var view = await GetAsync(cancellationToken);
        return new ErasurePolicyDocument(view.Rules, view.Exemptions);
    }

    public async Task<Outcome<ErasurePolicyView>> SaveAsync(ErasurePolicyDocument document, string actor, CancellationToken cancellationToken = default)
    {
        var violations = Validate(document, await register.TaxonomyAsync(cancellationToken));
        if (violations.Count > 0)
        {
            return Outcome<ErasurePolicyView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var normalised = new ErasurePolicyDocument(document.Rules ?? [],
            [.. (document.Exemptions ?? []).Select(e => e with { Reason = e.Reason.Trim(), RetentionEnds = string.IsNullOrWhiteSpace(e.RetentionEnds) ? null : e.RetentionEnds.Trim() })]);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<ErasurePolicyRecord>().FirstOrDefaultAsync(cancellationToken);
        if (record is null)
        {
            record = new ErasurePolicyRecord { Document = "", UpdatedBy = actor };
            db.Add(record);
        }
        record.Document = JsonSerializer.Serialize(normalised, Json);
        record.UpdatedAt = time.GetUtcNow();
        record.UpdatedBy = actor;
        record.Version++;
        // The policy holds categories and legal reasons, no personal data: the audit entry carries it whole.
        await audit.RecordAsync(actor, "requests.erasure_policy_changed", "erasure-policy",
            JsonNode.Parse(record.Document)!.AsObject(), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<ErasurePolicyView>.Success(await GetAsync(cancellationToken));
    }

    /// <summary>Known categories, strategies the engine has (with a configuration it accepts), one rule per category,
    /// and a reason for every exemption.</summary>
    public static List<Violation> Validate(ErasurePolicyDocument document, Taxonomy taxonomy)
    {
        var violations = new List<Violation>();
        var rules = document.Rules ?? [];
        if (rules.Count > MaxRules)
        {
            violations.Add(new Violation("rules", $"At most {MaxRules} rules."));
            return violations;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule is null)
            {
                violations.Add(new Violation($"rules[{i}]", "A rule names a data category and a strategy."));
                continue;
            }
            if (taxonomy.Unknown(TaxonomyKind.DataCategories, rule.DataCategory ?? "", $"rules[{i}].dataCategory") is { } unknown)
            {
                violations.Add(unknown);
            }
            else if (!seen.Add(rule.DataCategory!))
            {
                violations.Add(new Violation($"rules[{i}].dataCategory", $"{rule.DataCategory} already has a rule."));
            }
            if (rule.Strategy is not (MaskingStrategy.Auto or MaskingStrategy.DeleteRow)
                && MaskingStrategy.Create(new MaskingSpec(rule.Strategy ?? "", rule.Configuration)).Error is { } error)
            {
                violations.Add(new Violation($"rules[{i}].strategy", error));
            }
        }
        var exemptions = document.Exemptions ?? [];
        if (exemptions.Count > MaxRules)
        {
            violations.Add(new Violation("exemptions", $"At most {MaxRules} exemptions."));
            return violations;
        }
        for (var i = 0; i < exemptions.Count; i++)
        {
            var exemption = exemptions[i];
            if (exemption is null)
            {
                violations.Add(new Violation($"exemptions[{i}]", "An exemption names a data category and the legal reason to keep it."));
                continue;
            }
            if (taxonomy.Unknown(TaxonomyKind.DataCategories, exemption.DataCategory ?? "", $"exemptions[{i}].dataCategory") is { } unknown)
            {
                violations.Add(unknown);
            }
            if (string.IsNullOrWhiteSpace(exemption.Reason) || exemption.Reason.Length > 1000)
            {
                violations.Add(new Violation($"exemptions[{i}].reason",
                    "Give the legal reason to keep this data (Art. 17(3), e.g. \"Art. 17(3)(b): accounting records, Companies Act 2006 s.388\"); it is told to the person.", "DSR015"));
            }
            if (exemption.RetentionEnds?.Length > 200)
            {
                violations.Add(new Violation($"exemptions[{i}].retentionEnds", "At most 200 characters."));
            }
        }
        return violations;
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static ErasurePolicyDocument Parse(string json) => JsonSerializer.Deserialize<ErasurePolicyDocument>(json, Json) ?? ErasurePolicyDocument.Default;
}
