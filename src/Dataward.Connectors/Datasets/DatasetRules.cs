using System.Text.RegularExpressions;
using Dataward.Domain;
using Dataward.Domain.Taxonomy;
using TaxonomyModel = Dataward.Domain.Taxonomy.Taxonomy;

namespace Dataward.Connectors.Datasets;

/// <summary>What makes a dataset file acceptable: fideslang's own constraints, taxonomy keys that exist (REG013), and
/// references the request engine can follow. Fields are named by their place in the file
/// (<c>dataset[0].collections[2].fields[1].data_categories[0]</c>).</summary>
public static partial class DatasetRules
{
    public const int MaxKeyLength = 200;

    public static IReadOnlyList<Violation> Validate(IReadOnlyList<Dataset> datasets, TaxonomyModel taxonomy)
    {
        var violations = new List<Violation>();
        void Fail(string field, string message, string? rule = null) => violations.Add(new Violation(field, message, rule));
        var inFile = new Dictionary<string, Dataset>(StringComparer.Ordinal);

        for (var d = 0; d < datasets.Count; d++)
        {
            var dataset = datasets[d];
            var at = $"dataset[{d}]";
            if (!IsKey(dataset.FidesKey))
            {
                Fail($"{at}.fides_key", $"Give the dataset a fides_key of 1 to {MaxKeyLength} letters, digits, '_', '.' or '-'.");
            }
            else if (!inFile.TryAdd(dataset.FidesKey, dataset))
            {
                Fail($"{at}.fides_key", $"'{dataset.FidesKey}' appears twice in the file.");
            }
            CheckCategories(dataset.DataCategories, $"{at}.data_categories", taxonomy, Fail);
            for (var i = 0; i < (dataset.FidesMeta?.After?.Count ?? 0); i++)
            {
                if (!IsKey(dataset.FidesMeta!.After![i]))
                {
                    Fail($"{at}.fides_meta.after[{i}]", "Name a dataset by its fides_key.");
                }
            }
            if (dataset.Collections.Count == 0)
            {
                Fail($"{at}.collections", "A dataset has at least one collection.");
            }
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var c = 0; c < dataset.Collections.Count; c++)
            {
                var collection = dataset.Collections[c];
                var cat = $"{at}.collections[{c}]";
                if (string.IsNullOrWhiteSpace(collection.Name))
                {
                    Fail($"{cat}.name", "Give the collection a name.");
                }
                else if (!names.Add(collection.Name))
                {
                    Fail($"{cat}.name", $"The dataset has two collections called '{collection.Name}'.");
                }
                CheckCategories(collection.DataCategories, $"{cat}.data_categories", taxonomy, Fail);
                CheckCollectionMeta(collection.FidesMeta, $"{cat}.fides_meta", Fail);
                CheckFields(collection.Fields, $"{cat}.fields", taxonomy, Fail);
            }
        }

        // References into a dataset of the same file must land on a field it has; other datasets may come later.
        for (var d = 0; d < datasets.Count; d++)
        {
            foreach (var (reference, field) in ReferencesWithPlace(datasets[d], $"dataset[{d}]"))
            {
                CheckReference(reference, field, inFile, Fail);
            }
        }
        return violations;
    }

    /// <summary>A fides key: 1 to <see cref="MaxKeyLength"/> letters, digits, '_', '.' or '-'.</summary>
    public static bool IsKey(string? key) => key is { Length: > 0 and <= MaxKeyLength } && FidesKey().IsMatch(key);

    private static void CheckCategories(IReadOnlyList<string>? keys, string field, TaxonomyModel taxonomy, Action<string, string, string?> fail)
    {
        for (var i = 0; i < (keys?.Count ?? 0); i++)
        {
            if (taxonomy.Unknown(TaxonomyKind.DataCategories, keys![i], $"{field}[{i}]") is { } violation)
            {
                fail(violation.Field, violation.Message, violation.RuleId);
            }
        }
    }

    private static void CheckCollectionMeta(CollectionMeta? meta, string at, Action<string, string, string?> fail)
    {
        if (meta is null)
        {
            return;
        }
        foreach (var (list, name) in new[] { (meta.After, "after"), (meta.EraseAfter, "erase_after") })
        {
            for (var i = 0; i < (list?.Count ?? 0); i++)
            {
                if (list![i].Split('.') is not [var dataset, var collection] || !IsKey(dataset) || !IsKey(collection))
                {
                    fail($"{at}.{name}[{i}]", $"Name a collection as dataset.collection, not '{list[i]}'.", null);
                }
            }
        }
        if (meta.MaskingStrategyOverride is { } masking && masking.Strategy != "delete")
        {
            fail($"{at}.masking_strategy_override.strategy", "A collection's masking override can only be 'delete' (remove whole rows); override fields one by one otherwise.", null);
        }
    }

    private static void CheckFields(IReadOnlyList<Field>? fields, string at, TaxonomyModel taxonomy, Action<string, string, string?> fail)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var f = 0; f < (fields?.Count ?? 0); f++)
        {
            var field = fields![f];
            var fat = $"{at}[{f}]";
            if (string.IsNullOrWhiteSpace(field.Name))
            {
                fail($"{fat}.name", "Give the field a name.", null);
            }
            else if (!names.Add(field.Name))
            {
                fail($"{fat}.name", $"Two fields here are called '{field.Name}'.", null);
            }
            CheckCategories(field.DataCategories, $"{fat}.data_categories", taxonomy, fail);
            if (field.FidesMeta is { } meta)
            {
                var type = DataTypes.ElementType(meta.DataType);
                if (type is not null && !DataTypes.All.Contains(type))
                {
                    fail($"{fat}.fides_meta.data_type", $"'{meta.DataType}' is not a data type; use {string.Join(", ", DataTypes.All)} (with [] for an array).", null);
                }
                else if (field.Fields is { Count: > 0 } && type is not null and not "object")
                {
                    fail($"{fat}.fides_meta.data_type", $"A field with nested fields is an object (or object[]), not '{meta.DataType}'.", null);
                }
                if (meta.ReturnAllElements is not null && !DataTypes.IsArray(meta.DataType))
                {
                    fail($"{fat}.fides_meta.return_all_elements", "return_all_elements applies only to array fields (data_type ending in []).", null);
                }
                if (meta.Length is <= 0)
                {
                    fail($"{fat}.fides_meta.length", "A length is a positive number of characters.", null);
                }
                if (meta.Identity is { } identity && string.IsNullOrWhiteSpace(identity))
                {
                    fail($"{fat}.fides_meta.identity", "Name the identity type (e.g. email) or leave identity out.", null);
                }
                if (meta.MaskingStrategyOverride is { } masking && string.IsNullOrWhiteSpace(masking.Strategy))
                {
                    fail($"{fat}.fides_meta.masking_strategy_override.strategy", "Name the masking strategy (e.g. string_rewrite).", null);
                }
            }
            CheckFields(field.Fields, $"{fat}.fields", taxonomy, fail);
        }
    }

    private static void CheckReference(Reference reference, string at, IReadOnlyDictionary<string, Dataset> inFile, Action<string, string, string?> fail)
    {
        if (!IsKey(reference.Dataset))
        {
            fail($"{at}.dataset", "Name the referenced dataset by its fides_key.", null);
        }
        if (reference.Field.Split('.') is not { Length: >= 2 } parts || parts.Any(string.IsNullOrWhiteSpace))
        {
            fail($"{at}.field", $"Name the referenced field as collection.field, not '{reference.Field}'.", null);
        }
        else if (inFile.TryGetValue(reference.Dataset, out var target) && target.FindField(FieldAddress.Parse(reference.Dataset, reference.Field)) is null)
        {
            fail($"{at}.field", $"Dataset '{reference.Dataset}' has no field '{reference.Field}'.", null);
        }
        if (reference.Direction is not (null or ReferenceDirections.From or ReferenceDirections.To))
        {
            fail($"{at}.direction", $"A reference's direction is '{ReferenceDirections.From}' or '{ReferenceDirections.To}' (or absent for both ways), not '{reference.Direction}'.", null);
        }
    }

    private static IEnumerable<(Reference Reference, string Field)> ReferencesWithPlace(Dataset dataset, string at)
    {
        IEnumerable<(Reference, string)> Walk(IReadOnlyList<Field>? fields, string fieldsAt)
        {
            for (var f = 0; f < (fields?.Count ?? 0); f++)
            {
                var references = fields![f].FidesMeta?.References ?? [];
                for (var r = 0; r < references.Count; r++)
                {
                    yield return (references[r], $"{fieldsAt}[{f}].fides_meta.references[{r}]");
                }
                foreach (var nested in Walk(fields[f].Fields, $"{fieldsAt}[{f}].fields"))
                {
                    yield return nested;
                }
            }
        }
        return dataset.Collections.SelectMany((c, i) => Walk(c.Fields, $"{at}.collections[{i}].fields"));
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex FidesKey();
}
