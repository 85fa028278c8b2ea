namespace Dataward.Connectors.Planning;

/// <summary>A collection by dataset and name, written <c>dataset:collection</c> as Fides keys its results.</summary>
public readonly record struct CollectionKey(string Dataset, string Collection)
{
    public override string ToString() => $"{Dataset}:{Collection}";

    /// <summary>Reads <c>dataset.collection</c> (as <c>after</c> lists name collections) or <c>dataset:collection</c>.</summary>
    public static CollectionKey? Parse(string text) =>
        text.Split(text.Contains(':', StringComparison.Ordinal) ? ':' : '.') is [var dataset, var collection] ? new CollectionKey(dataset, collection) : null;
}

/// <summary>What a request will read, in order, shown before it runs: each step's collection, the fields read, and
/// where the values it looks rows up by come from; plus the collections it cannot reach and why.</summary>
public sealed record TraversalPlan(
    IReadOnlyList<string> Identities,
    IReadOnlyList<PlanStep> Steps,
    IReadOnlyList<UnreachableCollection> Unreachable,
    IReadOnlyList<PlanNote> Notes)
{
    public PlanStep? Step(CollectionKey collection) => Steps.FirstOrDefault(s => s.Collection == collection);
}

/// <summary>One collection read once: the fields returned (every top-level field the dataset declares, as Fides
/// returns them), the dataset's primary key, and the inputs whose values select its rows (any input matching is
/// enough, as Fides ORs them).</summary>
public sealed record PlanStep(
    int Order,
    CollectionKey Collection,
    IReadOnlyList<string> Fields,
    IReadOnlyList<string> PrimaryKey,
    IReadOnlyList<StepInput> Inputs);

/// <summary>Rows are looked up by <see cref="Fields"/> holding either the request's identity of type
/// <see cref="Identity"/>, or the values <see cref="FromFields"/> took in the rows already read from
/// <see cref="From"/>. Several fields form a composite key: they match together.</summary>
public sealed record StepInput(IReadOnlyList<string> Fields, string? Identity, CollectionKey? From, IReadOnlyList<string> FromFields)
{
    public override string ToString() => Identity is not null
        ? $"{string.Join(", ", Fields)} = identity '{Identity}'"
        : $"({string.Join(", ", Fields)}) in {From}.({string.Join(", ", FromFields)})";
}

/// <summary>A collection the request cannot read, with the reason in words and the identities that would reach it.</summary>
public sealed record UnreachableCollection(CollectionKey Collection, string Reason, IReadOnlyList<string> MissingIdentities);

/// <summary>Something the planner decided that a reader of the plan should know: a reference not followed (a cycle, an
/// unknown target) or a collection skipped on purpose.</summary>
public sealed record PlanNote(PlanNoteKind Kind, string Message);

public enum PlanNoteKind
{
    /// <summary>A reference leads back to a collection already read; it is not followed.</summary>
    Cycle,
    /// <summary>A reference names a collection or field no dataset has.</summary>
    UnknownReference,
    /// <summary>A collection marked <c>skip_processing</c>.</summary>
    Skipped,
}
