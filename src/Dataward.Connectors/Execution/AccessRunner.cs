using System.Diagnostics;
using System.Runtime.CompilerServices;
using Dataward.Connectors.Planning;
using Dataward.Connectors.Stores;

namespace Dataward.Connectors.Execution;

/// <summary>What an access request found: rows per collection keyed <c>dataset:collection</c> as Fides keys its raw
/// access results (every collection of the plan, empty ones included), and what each step read.</summary>
public sealed record AccessResult(OrderedDictionary<string, IReadOnlyList<StoreRow>> Collections, IReadOnlyList<StepOutcome> Steps);

/// <summary>How many rows a step read (or, in a dry run, would read) and how long it took.</summary>
public sealed record StepOutcome(int Order, CollectionKey Collection, long Rows, TimeSpan Elapsed);

/// <summary>A plan that does not match the stores it would run on (a missing store, table or column); nothing ran.</summary>
public sealed class PlanCheckException(IReadOnlyList<string> problems)
    : Exception("The plan does not match the stores: " + string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>Runs a <see cref="TraversalPlan"/> against the stores holding its datasets (keyed by dataset
/// <c>fides_key</c>): one query per step, with every key value the earlier steps found in one parameterised
/// <c>IN</c>/<c>ANY</c>, and values carried between datasets in memory.</summary>
public sealed class AccessRunner(IReadOnlyDictionary<string, IDataStore> stores)
{
    /// <summary>Each way the plan does not match the stores, in words; empty when it can run.</summary>
    public async Task<IReadOnlyList<string>> CheckAsync(TraversalPlan plan, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        foreach (var step in plan.Steps)
        {
            if (!stores.TryGetValue(step.Collection.Dataset, out var store))
            {
                problems.Add($"{step.Collection}: no store is connected for dataset '{step.Collection.Dataset}'.");
                continue;
            }
            var table = (await store.DescribeAsync(cancellationToken)).Find(step.Collection.Collection);
            if (table is null)
            {
                problems.Add($"{step.Collection}: the {store.Kind} store has no table '{step.Collection.Collection}'.");
                continue;
            }
            foreach (var field in step.Fields.Concat(step.Inputs.SelectMany(i => i.Fields)).Distinct(StringComparer.Ordinal))
            {
                if (table.Column(field) is null)
                {
                    problems.Add($"{step.Collection}: table '{table.Name}' has no column '{field}'.");
                }
            }
        }
        return problems;
    }

    /// <summary>Reads every collection of the plan for the given identities (type to value, e.g. email). An identity
    /// that matches nothing gives empty collections, not an error.</summary>
    public async Task<AccessResult> RunAsync(TraversalPlan plan, IReadOnlyDictionary<string, string> identities,
        CancellationToken cancellationToken = default)
    {
        await EnsureRunnableAsync(plan, cancellationToken);
        var outcomes = new List<StepOutcome>();
        var rows = await TraverseAsync(plan, identities, step => step.Fields, outcomes, cancellationToken);
        var collections = new OrderedDictionary<string, IReadOnlyList<StoreRow>>(StringComparer.Ordinal);
        foreach (var step in plan.Steps)
        {
            collections[step.Collection.ToString()] = rows[step.Collection];
        }
        return new AccessResult(collections, outcomes);
    }

    /// <summary>How many rows each step would touch, against the live stores, without returning any: steps that feed
    /// later ones read only the key fields those need; the others only count.</summary>
    public async Task<IReadOnlyList<StepOutcome>> DryRunAsync(TraversalPlan plan, IReadOnlyDictionary<string, string> identities,
        CancellationToken cancellationToken = default)
    {
        await EnsureRunnableAsync(plan, cancellationToken);
        var outcomes = new List<StepOutcome>();
        var needed = NeededOutputs(plan);
        await TraverseAsync(plan, identities, step => needed.TryGetValue(step.Collection, out var fields) ? fields : null, outcomes, cancellationToken,
            countTheRest: true);
        return outcomes;
    }

    // Plans found runnable, with the described schemas they were checked against: a plan kept between requests is
    // checked again only when a store describes itself anew (or another store serves one of its datasets).
    private static readonly ConditionalWeakTable<TraversalPlan, StoreSchema[]> Runnable = new();

    internal async Task EnsureRunnableAsync(TraversalPlan plan, CancellationToken cancellationToken)
    {
        var schemas = new StoreSchema[plan.Steps.Count];
        for (var i = 0; i < schemas.Length; i++)
        {
            if (!stores.TryGetValue(plan.Steps[i].Collection.Dataset, out var store))
            {
                schemas = null;
                break;
            }
            schemas[i] = await store.DescribeAsync(cancellationToken);
        }
        if (schemas is not null && Runnable.TryGetValue(plan, out var checkedAgainst)
            && checkedAgainst.Length == schemas.Length && schemas.Select((s, i) => ReferenceEquals(s, checkedAgainst[i])).All(same => same))
        {
            return;
        }
        if (await CheckAsync(plan, cancellationToken) is { Count: > 0 } problems)
        {
            throw new PlanCheckException(problems);
        }
        if (schemas is not null)
        {
            Runnable.AddOrUpdate(plan, schemas);
        }
    }

    /// <summary>The fields of each collection that later steps look rows up by.</summary>
    internal static Dictionary<CollectionKey, IReadOnlyList<string>> NeededOutputs(TraversalPlan plan) =>
        plan.Steps.SelectMany(s => s.Inputs).Where(i => i.From is not null)
            .GroupBy(i => i.From!.Value)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.SelectMany(i => i.FromFields).Distinct(StringComparer.Ordinal)]);

    /// <summary>Runs the steps in order; <paramref name="columnsFor"/> names the columns read per step, or null for a
    /// step whose rows are not needed: counted when <paramref name="countTheRest"/> (a dry run), otherwise not read.</summary>
    internal async Task<Dictionary<CollectionKey, IReadOnlyList<StoreRow>>> TraverseAsync(TraversalPlan plan,
        IReadOnlyDictionary<string, string> identities, Func<PlanStep, IReadOnlyList<string>?> columnsFor, List<StepOutcome> outcomes,
        CancellationToken cancellationToken, bool countTheRest = false)
    {
        var found = new Dictionary<CollectionKey, IReadOnlyList<StoreRow>>();
        foreach (var step in plan.Steps)
        {
            var started = Stopwatch.GetTimestamp();
            var columns = columnsFor(step);
            var filters = new List<KeyFilter>();
            // A step neither read nor counted needs no filters (an erasure's collections that change nothing and lead nowhere).
            foreach (var input in columns is null && !countTheRest ? [] : step.Inputs)
            {
                if (input.Identity is not null)
                {
                    if (identities.TryGetValue(input.Identity, out var value) && !string.IsNullOrEmpty(value))
                    {
                        filters.Add(KeyFilter.Of(input.Fields[0], [value]));
                    }
                    continue;
                }
                // Each distinct value (or tuple) once; a single column's values are all of one kind, so they compare as they are.
                var single = input.FromFields.Count == 1 ? new HashSet<object>() : null;
                var seen = single is null ? new HashSet<string>(StringComparer.Ordinal) : null;
                var tuples = new List<IReadOnlyList<object?>>();
                foreach (var row in found[input.From!.Value])
                {
                    if (single is not null)
                    {
                        if (row.GetValueOrDefault(input.FromFields[0]) is { } value && single.Add(value))
                        {
                            tuples.Add([value]);
                        }
                        continue;
                    }
                    var tuple = input.FromFields.Select(f => row.GetValueOrDefault(f)).ToList();
                    if (tuple.All(v => v is not null) && seen!.Add(StoreValues.Canonical(tuple)))
                    {
                        tuples.Add(tuple);
                    }
                }
                if (tuples.Count > 0)
                {
                    filters.Add(new KeyFilter(input.Fields, tuples));
                }
            }
            var store = stores[step.Collection.Dataset];
            IReadOnlyList<StoreRow> rows = [];
            long count = 0;
            if (filters.Count > 0 && columns is null && countTheRest)
            {
                count = await store.CountAsync(step.Collection.Collection, filters, cancellationToken);
            }
            else if (filters.Count > 0 && columns is not null)
            {
                rows = await store.SelectAsync(step.Collection.Collection, columns!, filters, cancellationToken);
                count = rows.Count;
            }
            found[step.Collection] = rows;
            outcomes.Add(new StepOutcome(step.Order, step.Collection, count, Stopwatch.GetElapsedTime(started)));
        }
        return found;
    }
}
