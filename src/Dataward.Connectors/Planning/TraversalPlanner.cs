using Dataward.Connectors.Datasets;

namespace Dataward.Connectors.Planning;

/// <summary>Plans the traversal of a request over datasets, with Fides's semantics: rows are found from fields marked
/// with an identity the request has; a reference carries values <c>to</c> the referenced field, <c>from</c> it, or
/// (without a direction) whichever way the traversal meets it first; each collection is read once, after every
/// collection it takes values from and every collection its <c>after</c> names. Where references form a cycle, the
/// reference back into a collection already read is not followed and the plan says so. Collections nothing reaches
/// are listed with the reason instead of failing the whole request as Fides does.</summary>
public static class TraversalPlanner
{
    private sealed record Edge(FieldAddress From, FieldAddress To, bool Directed)
    {
        public CollectionKey FromCollection => Key(From);
        public CollectionKey ToCollection => Key(To);
        public bool Touches(CollectionKey c) => FromCollection == c || ToCollection == c;

        // The far end when leaving c along this edge, or null if data cannot flow out of c along it.
        public (FieldAddress Near, FieldAddress Far)? Leaving(CollectionKey c) =>
            FromCollection == c ? (From, To) : !Directed && ToCollection == c ? (To, From) : null;

        public override string ToString() => Directed ? $"{From} -> {To}" : $"{From} <-> {To}";
    }

    public static TraversalPlan Plan(IReadOnlyList<Dataset> datasets, IEnumerable<string> identities)
    {
        var given = identities.Distinct(StringComparer.Ordinal).ToList();
        var notes = new List<PlanNote>();
        var collections = new Dictionary<CollectionKey, (Dataset Dataset, Collection Collection, int Position)>();
        foreach (var dataset in datasets)
        {
            foreach (var collection in dataset.Collections)
            {
                var key = new CollectionKey(dataset.FidesKey, collection.Name);
                if (collection.FidesMeta?.SkipProcessing == true)
                {
                    notes.Add(new PlanNote(PlanNoteKind.Skipped, $"{key} is marked skip_processing and is not read."));
                    continue;
                }
                collections[key] = (dataset, collection, collections.Count);
            }
        }

        var edges = new List<Edge>();
        foreach (var dataset in datasets)
        {
            foreach (var reference in dataset.References())
            {
                var from = Key(reference.Field);
                if (!collections.ContainsKey(from))
                {
                    continue;
                }
                var target = Key(reference.Referenced);
                if (!collections.TryGetValue(target, out var referenced) || referenced.Dataset.FindField(reference.Referenced) is null)
                {
                    notes.Add(new PlanNote(PlanNoteKind.UnknownReference,
                        $"{reference.Field} references {reference.Referenced}, which no dataset in the request has (or it is skipped); the reference is not followed."));
                    continue;
                }
                if (target == from)
                {
                    notes.Add(new PlanNote(PlanNoteKind.UnknownReference, $"{reference.Field} references its own collection; the reference is not followed."));
                    continue;
                }
                edges.Add(new Edge(reference.From, reference.To, reference.Directed));
            }
        }

        var seeds = collections.SelectMany(c => c.Value.Dataset.IdentityFields()
                .Where(i => Key(i.Field) == c.Key && given.Contains(i.Identity, StringComparer.Ordinal))
                .Select(i => (Collection: c.Key, i.Field, i.Identity)))
            .ToList();

        // Breadth-first from the identity fields: the order collections are first met orients undirected references.
        var visit = new Dictionary<CollectionKey, int>();
        var queue = new Queue<CollectionKey>();
        foreach (var seed in seeds.Select(s => s.Collection).Distinct().OrderBy(c => collections[c].Position))
        {
            visit[seed] = visit.Count;
            queue.Enqueue(seed);
        }
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            foreach (var edge in edges)
            {
                if (edge.Leaving(current) is { } leaving && visit.TryAdd(Key(leaving.Far), visit.Count))
                {
                    queue.Enqueue(Key(leaving.Far));
                }
            }
        }

        // Each reference between reached collections, oriented: directed as declared, undirected from the collection met first.
        var oriented = edges
            .Where(e => visit.ContainsKey(e.FromCollection) && visit.ContainsKey(e.ToCollection))
            .Select(e => e.Directed || visit[e.FromCollection] < visit[e.ToCollection] ? (From: e.From, To: e.To) : (From: e.To, To: e.From))
            .Distinct()
            .ToList();
        var afterOf = visit.Keys.ToDictionary(c => c, c => AfterConstraints(collections[c].Dataset, collections[c].Collection, visit));

        var order = new List<CollectionKey>();
        var done = new HashSet<CollectionKey>();
        var dropped = new HashSet<(FieldAddress, FieldAddress)>();
        while (order.Count < visit.Count)
        {
            var remaining = visit.Keys.Where(c => !done.Contains(c)).OrderBy(c => visit[c]).ToList();
            var ready = remaining.FirstOrDefault(c =>
                oriented.All(e => Key(e.To) != c || done.Contains(Key(e.From)) || dropped.Contains(e)) && afterOf[c].All(done.Contains));
            if (ready == default)
            {
                // A cycle: read the collection met first now, without the references that would need a later one.
                ready = remaining[0];
                foreach (var edge in oriented.Where(e => Key(e.To) == ready && !done.Contains(Key(e.From)) && !dropped.Contains(e)))
                {
                    dropped.Add(edge);
                    notes.Add(new PlanNote(PlanNoteKind.Cycle,
                        $"{edge.From} -> {edge.To} is not followed: {Key(edge.From)} is read after {ready} (the references form a cycle), and each collection is read once."));
                }
                foreach (var blocker in afterOf[ready].Where(a => !done.Contains(a)))
                {
                    notes.Add(new PlanNote(PlanNoteKind.Cycle, $"{ready} runs before {blocker} although 'after' asks otherwise: the ordering constraints form a cycle."));
                }
            }
            order.Add(ready);
            done.Add(ready);
        }

        var steps = new List<PlanStep>();
        foreach (var key in order)
        {
            var (dataset, collection, _) = collections[key];
            var inputs = new List<StepInput>();
            foreach (var seed in seeds.Where(s => s.Collection == key))
            {
                inputs.Add(new StepInput([seed.Field.FieldPath], seed.Identity, null, []));
            }
            var incoming = oriented.Where(e => Key(e.To) == key && !dropped.Contains(e)).ToList();
            foreach (var group in incoming.GroupBy(e => Key(e.From)).OrderBy(g => order.IndexOf(g.Key)))
            {
                var source = collections[group.Key];
                var sourceKey = source.Collection.Fields.Where(f => f.FidesMeta?.PrimaryKey == true).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
                var fromFields = group.Select(e => e.From.FieldPath).Distinct(StringComparer.Ordinal).ToList();
                var toFields = group.Select(e => e.To.FieldPath).Distinct(StringComparer.Ordinal).ToList();
                // References that together cover a composite primary key are one composite key, matched together.
                if (sourceKey.Count > 1 && fromFields.Count == group.Count() && toFields.Count == group.Count() && sourceKey.SetEquals(fromFields))
                {
                    inputs.Add(new StepInput([.. group.Select(e => e.To.FieldPath)], null, group.Key, [.. group.Select(e => e.From.FieldPath)]));
                    continue;
                }
                inputs.AddRange(group.Select(e => new StepInput([e.To.FieldPath], null, group.Key, [e.From.FieldPath])));
            }
            steps.Add(new PlanStep(steps.Count + 1, key, [.. collection.Fields.Select(f => f.Name)],
                [.. collection.Fields.Where(f => f.FidesMeta?.PrimaryKey == true).Select(f => f.Name)], inputs));
        }

        var unreachable = collections.Keys.Where(c => !visit.ContainsKey(c))
            .Select(c => Unreachable(c, collections[c].Dataset, edges, given))
            .ToList();
        return new TraversalPlan(given, steps, unreachable, notes);
    }

    private static CollectionKey Key(FieldAddress field) => new(field.Dataset, field.Collection);

    private static List<CollectionKey> AfterConstraints(Dataset dataset, Collection collection, IReadOnlyDictionary<CollectionKey, int> reached)
    {
        var after = new List<CollectionKey>();
        foreach (var name in collection.FidesMeta?.After ?? [])
        {
            if (CollectionKey.Parse(name) is { } key && reached.ContainsKey(key))
            {
                after.Add(key);
            }
        }
        foreach (var other in dataset.FidesMeta?.After ?? [])
        {
            after.AddRange(reached.Keys.Where(k => k.Dataset == other));
        }
        return after;
    }

    private static UnreachableCollection Unreachable(CollectionKey collection, Dataset dataset, IReadOnlyList<Edge> edges, IReadOnlyList<string> given)
    {
        var missing = dataset.IdentityFields().Where(i => Key(i.Field) == collection)
            .Select(i => i.Identity).Where(i => !given.Contains(i, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        var reasons = new List<string>();
        if (missing.Count > 0)
        {
            reasons.Add($"the request has no {string.Join(" or ", missing.Select(m => $"'{m}'"))} identity, which its identity field{(missing.Count > 1 ? "s" : "")} need{(missing.Count > 1 ? "" : "s")}");
        }
        var inbound = edges.Where(e => e.Touches(collection) && e.Leaving(collection) is null || !e.Directed && e.Touches(collection))
            .Select(e => e.FromCollection == collection ? e.ToCollection : e.FromCollection)
            .Distinct().ToList();
        if (inbound.Count > 0)
        {
            reasons.Add($"the only references into it come from {string.Join(", ", inbound)}, which {(inbound.Count > 1 ? "are" : "is")} unreachable too");
        }
        var outbound = edges.Where(e => e.Directed && e.FromCollection == collection).Select(e => e.ToString()).ToList();
        if (missing.Count == 0 && inbound.Count == 0)
        {
            reasons.Add(outbound.Count > 0
                ? $"it has no identity field and its references only carry values out of it ({string.Join("; ", outbound)})"
                : "it has no identity field and no reference connects it to another collection");
        }
        return new UnreachableCollection(collection, $"{collection} is not read: {string.Join("; and ", reasons)}.", missing);
    }
}
