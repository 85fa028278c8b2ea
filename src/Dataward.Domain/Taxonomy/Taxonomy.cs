using System.Collections.Frozen;
using System.Text.Json;

namespace Dataward.Domain.Taxonomy;

/// <summary>The three hierarchies the register is written in, with fideslang-compatible dotted keys.</summary>
public enum TaxonomyKind
{
    DataCategories,
    DataUses,
    DataSubjects,
}

/// <summary>One key of a hierarchy; <see cref="Custom"/> marks the organisation's own additions.</summary>
public sealed record TaxonomyTerm(string Key, string Name, string? Parent, string? Description = null, bool Custom = false);

/// <summary>The GDPR special categories of Art. 9(1).</summary>
public enum SpecialCategory
{
    RacialEthnicOrigin,
    PoliticalOpinions,
    ReligiousPhilosophicalBeliefs,
    TradeUnionMembership,
    Genetic,
    Biometric,
    Health,
    SexLifeSexualOrientation,
}

/// <summary>The shipped hierarchies plus the organisation's own keys, and what GDPR says about each key.</summary>
public sealed class Taxonomy
{
    // register.md §7: a mark applies to the key and every descendant, organisation-added keys included.
    private static readonly (string Prefix, SpecialCategory Mark)[] SpecialMarks =
    [
        ("user.demographic.race_ethnicity", SpecialCategory.RacialEthnicOrigin),
        ("user.demographic.political_opinion", SpecialCategory.PoliticalOpinions),
        ("user.demographic.religious_belief", SpecialCategory.ReligiousPhilosophicalBeliefs),
        ("user.demographic.sexual_orientation", SpecialCategory.SexLifeSexualOrientation),
        ("user.health_and_medical", SpecialCategory.Health),
        ("user.health_and_medical.genetic", SpecialCategory.Genetic),
        ("user.biometric", SpecialCategory.Biometric),
        ("user.biometric.health", SpecialCategory.Health),
        ("user.authorization.biometric", SpecialCategory.Biometric),
        ("user.trade_union_membership", SpecialCategory.TradeUnionMembership),
    ];

    private const string CriminalOffencePrefix = "user.criminal_history";
    private const string ChildrenPrefix = "user.childrens";

    private readonly FrozenDictionary<TaxonomyKind, FrozenDictionary<string, TaxonomyTerm>> terms;

    private Taxonomy(IEnumerable<(TaxonomyKind Kind, TaxonomyTerm Term)> all) =>
        terms = all.GroupBy(t => t.Kind).ToFrozenDictionary(g => g.Key,
            g => g.Select(t => t.Term).ToFrozenDictionary(t => t.Key, StringComparer.Ordinal));

    /// <summary>The taxonomy Dataward ships (fideslang keys, plus <c>user.trade_union_membership</c> and
    /// <c>third_party_sharing.sale</c>).</summary>
    public static Taxonomy Default { get; } = LoadDefault();

    public IReadOnlyCollection<TaxonomyTerm> Terms(TaxonomyKind kind) =>
        terms.TryGetValue(kind, out var map) ? map.Values : [];

    public bool Contains(TaxonomyKind kind, string key) => terms.TryGetValue(kind, out var map) && map.ContainsKey(key);

    public TaxonomyTerm? Find(TaxonomyKind kind, string key) =>
        terms.TryGetValue(kind, out var map) && map.TryGetValue(key, out var term) ? term : null;

    /// <summary>This taxonomy with the organisation's own keys added; each must sit under an existing parent.</summary>
    public Outcome<Taxonomy> With(TaxonomyKind kind, IEnumerable<TaxonomyTerm> custom)
    {
        var all = terms.SelectMany(k => k.Value.Values.Select(t => (k.Key, t))).ToList();
        var known = new HashSet<string>(Terms(kind).Select(t => t.Key), StringComparer.Ordinal);
        // Parents may be other custom keys: add in order of depth.
        foreach (var term in custom.OrderBy(t => t.Key.Count(c => c == '.')))
        {
            if (known.Contains(term.Key))
            {
                return Outcome<Taxonomy>.Conflict("key", $"'{term.Key}' already exists.");
            }
            if (term.Parent is null || !known.Contains(term.Parent) || !term.Key.StartsWith(term.Parent + ".", StringComparison.Ordinal))
            {
                return Outcome<Taxonomy>.Invalid("parent",
                    $"'{term.Key}' must sit under an existing key and extend it (e.g. {term.Parent ?? "user"}.something).");
            }
            known.Add(term.Key);
            all.Add((kind, term with { Custom = true }));
        }
        return Outcome<Taxonomy>.Success(new Taxonomy(all));
    }

    /// <summary>Up to <paramref name="max"/> existing keys closest to <paramref name="key"/>, best first.</summary>
    public IReadOnlyList<string> Suggest(TaxonomyKind kind, string key, int max = 3) =>
        Terms(kind)
            .Select(t => (t.Key, Score: Distance(Normalise(key), Normalise(t.Key)) - SharedPrefixBonus(key, t.Key)))
            .OrderBy(s => s.Score).ThenBy(s => s.Key, StringComparer.Ordinal)
            .Take(max).Select(s => s.Key).ToList();

    /// <summary>REG013: null when <paramref name="key"/> exists, else a violation of <paramref name="field"/> naming
    /// the nearest keys that do.</summary>
    public Violation? Unknown(TaxonomyKind kind, string key, string field) => Contains(kind, key)
        ? null
        : new Violation(field, $"'{key}' is not a known key. Did you mean {string.Join(", ", Suggest(kind, key).Select(k => $"'{k}'"))}?", "REG013");

    public IReadOnlySet<SpecialCategory> SpecialCategoriesOf(string dataCategory) =>
        SpecialMarks.Where(m => IsSelfOrDescendant(dataCategory, m.Prefix)).Select(m => m.Mark).ToHashSet();

    public static bool IsCriminalOffenceData(string dataCategory) => IsSelfOrDescendant(dataCategory, CriminalOffencePrefix);

    public static bool ConcernsChildren(string dataCategory) => IsSelfOrDescendant(dataCategory, ChildrenPrefix);

    public static bool IsSelfOrDescendant(string key, string ancestor) =>
        key == ancestor || key.StartsWith(ancestor + ".", StringComparison.Ordinal);

    private static string Normalise(string key) => key.Trim().ToLowerInvariant();

    // A misspelt leaf under the right branch should beat a lucky match elsewhere.
    private static int SharedPrefixBonus(string a, string b)
    {
        var left = a.Split('.');
        var right = b.Split('.');
        var shared = 0;
        while (shared < Math.Min(left.Length, right.Length) && left[shared] == right[shared])
        {
            shared++;
        }
        return shared * 2;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static Taxonomy LoadDefault()
    {
        using var stream = typeof(Taxonomy).Assembly.GetManifestResourceStream("Dataward.Domain.Taxonomy.default-taxonomy.json")
            ?? throw new InvalidOperationException("The default taxonomy is missing from the assembly.");
        using var document = JsonDocument.Parse(stream);
        var all = new List<(TaxonomyKind, TaxonomyTerm)>();
        foreach (var (kind, property) in new[] { (TaxonomyKind.DataCategories, "dataCategories"), (TaxonomyKind.DataUses, "dataUses"), (TaxonomyKind.DataSubjects, "dataSubjects") })
        {
            foreach (var term in document.RootElement.GetProperty(property).EnumerateArray())
            {
                all.Add((kind, new TaxonomyTerm(term.GetProperty("key").GetString()!, term.GetProperty("name").GetString()!,
                    term.TryGetProperty("parent", out var parent) && parent.ValueKind == JsonValueKind.String ? parent.GetString() : null)));
            }
        }
        return new Taxonomy(all);
    }
}
