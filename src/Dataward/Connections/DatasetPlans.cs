using System.Collections.Concurrent;
using Dataward.Connectors.Datasets;
using Dataward.Connectors.Planning;
using Dataward.Datasets;

namespace Dataward.Connections;

/// <summary>The connected datasets, parsed, and their traversal plans, kept between requests: parsing a dataset and
/// planning over it cost more than a request's own queries, and both only change when a dataset does. A dataset is
/// reused while its stored document is the same text (compared in full, so a dataset replaced on another instance is
/// seen at once); a plan, while the same dataset objects and identity types ask for it.</summary>
public sealed class DatasetPlans
{
    // Bounds memory if identity types vary without end; a plan costs a fraction of a millisecond to make again.
    private const int MaxPlans = 1024;

    private readonly ConcurrentDictionary<string, (string Document, Dataset Dataset)> datasets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PlanKey, TraversalPlan> plans = new();

    /// <summary>The dataset a stored document describes, parsed once per version of the text.</summary>
    public Dataset Dataset(string key, string document)
    {
        if (datasets.TryGetValue(key, out var known) && string.Equals(known.Document, document, StringComparison.Ordinal))
        {
            return known.Dataset;
        }
        var parsed = DatasetService.Deserialize(document);
        datasets[key] = (document, parsed);
        // Plans over the replaced dataset can no longer be asked for; let them go.
        plans.Clear();
        return parsed;
    }

    /// <summary>The plan of <see cref="TraversalPlanner.Plan"/> for these datasets and identity types.</summary>
    public TraversalPlan Plan(IReadOnlyList<Dataset> over, IEnumerable<string> identityTypes)
    {
        var key = new PlanKey(over, [.. identityTypes]);
        if (plans.TryGetValue(key, out var plan))
        {
            return plan;
        }
        plan = TraversalPlanner.Plan(over, key.Identities);
        if (plans.Count >= MaxPlans)
        {
            plans.Clear();
        }
        plans[key] = plan;
        return plan;
    }

    /// <summary>The same dataset objects (by reference: each is parsed once) in the same order, and the same identity types.</summary>
    private sealed class PlanKey(IReadOnlyList<Dataset> datasets, IReadOnlyList<string> identities) : IEquatable<PlanKey>
    {
        private readonly int hash = Hash(datasets, identities);

        public IReadOnlyList<string> Identities => identities;

        public bool Equals(PlanKey? other) =>
            other is not null && other.hash == hash && datasets.Count == other.Datasets.Count && identities.SequenceEqual(other.Identities, StringComparer.Ordinal)
            && datasets.Select((d, i) => ReferenceEquals(d, other.Datasets[i])).All(same => same);

        private IReadOnlyList<Dataset> Datasets => datasets;

        public override bool Equals(object? obj) => Equals(obj as PlanKey);

        public override int GetHashCode() => hash;

        private static int Hash(IReadOnlyList<Dataset> datasets, IReadOnlyList<string> identities)
        {
            var hash = new HashCode();
            foreach (var dataset in datasets)
            {
                hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(dataset));
            }
            foreach (var identity in identities)
            {
                hash.Add(identity, StringComparer.Ordinal);
            }
            return hash.ToHashCode();
        }
    }
}
