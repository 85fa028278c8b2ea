using System.Text.Json.Serialization;
using Dataward.Connectors.Masking;
using Dataward.Connectors.Planning;

namespace Dataward.Connectors.Execution;

/// <summary>Which data categories an erasure changes and how: each rule maps a category (and everything under it) to
/// a masking strategy, the most specific rule winning; exemptions name categories the organisation must keep
/// (Art. 17(3)), left untouched and reported with their reason. A field's own <c>masking_strategy_override</c>
/// replaces the rule's strategy, as in Fides.</summary>
public sealed record ErasurePolicy(IReadOnlyList<ErasureRule> Rules, IReadOnlyList<ErasureExemption> Exemptions)
{
    /// <summary>Works with no set-up: every <c>user.*</c> category masked with the strategy that fits its column.</summary>
    public static ErasurePolicy Default { get; } = new([new ErasureRule("user", MaskingSpec.Of(MaskingStrategy.Auto))], []);

    /// <summary>The rule for a field with these categories, or null when none targets it.</summary>
    public ErasureRule? RuleFor(IEnumerable<string> categories) =>
        categories.SelectMany(c => Rules.Where(r => Covers(r.DataCategory, c)))
            .OrderByDescending(r => r.DataCategory.Length).FirstOrDefault();

    /// <summary>The exemption that keeps a field with these categories, or null.</summary>
    public ErasureExemption? ExemptionFor(IEnumerable<string> categories) =>
        categories.SelectMany(c => Exemptions.Where(e => Covers(e.DataCategory, c))).FirstOrDefault();

    /// <summary>A category covers itself and the categories under it (<c>user.contact</c> covers
    /// <c>user.contact.email</c>, not <c>user.contactless</c>).</summary>
    public static bool Covers(string category, string candidate) =>
        candidate == category || candidate.StartsWith(category + ".", StringComparison.Ordinal);
}

/// <summary>Fields of <see cref="DataCategory"/> (and below) are masked with <see cref="Masking"/>.</summary>
public sealed record ErasureRule(string DataCategory, MaskingSpec Masking);

/// <summary>Fields of <see cref="DataCategory"/> are kept: the legal reason and when the duty to keep them ends.</summary>
public sealed record ErasureExemption(string DataCategory, string Reason, string? RetentionEnds = null);

/// <summary>What an erasure will do, shown before it runs: per collection, the action, the fields changed with their
/// strategy, and the fields kept with the reason.</summary>
public sealed record ErasurePreview(IReadOnlyList<CollectionErasure> Collections)
{
    public CollectionErasure? For(CollectionKey collection) => Collections.FirstOrDefault(c => c.Collection == collection);
}

public enum ErasureAction
{
    /// <summary>Nothing to change (no targeted field, or rows cannot be named).</summary>
    None,
    /// <summary>Overwrite fields, rows stay.</summary>
    Mask,
    /// <summary>Delete whole rows.</summary>
    DeleteRows,
}

/// <summary>One collection's part of an erasure; <see cref="KeyColumns"/> name rows (the table's primary key).</summary>
public sealed record CollectionErasure(
    CollectionKey Collection,
    ErasureAction Action,
    IReadOnlyList<string> KeyColumns,
    IReadOnlyList<FieldErasure> Fields,
    IReadOnlyList<FieldKept> Kept,
    string? Note);

/// <summary>A field overwritten with <see cref="Strategy"/>.</summary>
public sealed record FieldErasure(string Field, string Strategy)
{
    [JsonIgnore]
    internal MaskingStrategy Masking { get; init; } = null!;

    [JsonIgnore]
    internal Stores.StoreColumn Column { get; init; } = null!;
}

public enum KeptReason
{
    /// <summary>Part of a primary key: masking it would unlink the row.</summary>
    PrimaryKey,
    /// <summary>On either end of a reference: masking it would unlink rows of other collections.</summary>
    Reference,
    /// <summary>Marked <c>read_only</c> in the dataset.</summary>
    ReadOnly,
    /// <summary>Its category is exempt (Art. 17(3)).</summary>
    Exempt,
    /// <summary>The strategy does not fit the column; the DPO must choose another.</summary>
    Unfit,
}

/// <summary>A field the policy targets that stays as it is, and why.</summary>
public sealed record FieldKept(string Field, KeptReason Reason, string Message);
