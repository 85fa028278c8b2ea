using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dataward.Connectors.Datasets;

/// <summary>A database (or other store) holding personal data, described in the fideslang dataset format: its
/// collections (tables), their fields and what each field holds. Property names are fideslang's; anything fideslang
/// has that Dataward does not model is kept in <see cref="Extra"/> so a dataset re-exports without loss.</summary>
public sealed record Dataset
{
    [JsonPropertyName("fides_key")]
    public string FidesKey { get; init; } = "";

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary>Data-category keys that apply to every collection.</summary>
    [JsonPropertyName("data_categories")]
    public IReadOnlyList<string>? DataCategories { get; init; }

    [JsonPropertyName("fides_meta")]
    public DatasetMeta? FidesMeta { get; init; }

    [JsonPropertyName("collections")]
    public IReadOnlyList<Collection> Collections { get; init; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>Every field of every collection, nested fields included, in document order.</summary>
    public IEnumerable<(FieldAddress Address, Field Field)> AllFields() =>
        Collections.SelectMany(c => Walk(c.Fields, c.Name, []));

    /// <summary>The fields a request can start from: each field marked with an identity type (e.g. <c>email</c>).</summary>
    public IReadOnlyList<IdentityField> IdentityFields() =>
        [.. AllFields().Where(f => !string.IsNullOrEmpty(f.Field.FidesMeta?.Identity))
            .Select(f => new IdentityField(f.Address, f.Field.FidesMeta!.Identity!))];

    /// <summary>Every reference a field declares, resolved to the field it points at: the edges of the traversal graph.</summary>
    public IReadOnlyList<FieldReference> References() =>
        [.. AllFields().SelectMany(f => (f.Field.FidesMeta?.References ?? []).Select(r =>
            new FieldReference(f.Address, FieldAddress.Parse(r.Dataset, r.Field), ReferenceDirections.Parse(r.Direction))))];

    /// <summary>The primary-key fields of every collection.</summary>
    public IReadOnlyList<FieldAddress> PrimaryKeys() =>
        [.. AllFields().Where(f => f.Field.FidesMeta?.PrimaryKey == true).Select(f => f.Address)];

    /// <summary>The field at <paramref name="address"/> in this dataset, or null.</summary>
    public Field? FindField(FieldAddress address)
    {
        if (address.Dataset != FidesKey || Collections.FirstOrDefault(c => c.Name == address.Collection) is not { } collection)
        {
            return null;
        }
        IReadOnlyList<Field>? fields = collection.Fields;
        Field? found = null;
        foreach (var name in address.Path)
        {
            found = fields?.FirstOrDefault(f => f.Name == name);
            if (found is null)
            {
                return null;
            }
            fields = found.Fields;
        }
        return found;
    }

    private IEnumerable<(FieldAddress, Field)> Walk(IReadOnlyList<Field>? fields, string collection, IReadOnlyList<string> parent)
    {
        foreach (var field in fields ?? [])
        {
            IReadOnlyList<string> path = [.. parent, field.Name];
            yield return (new FieldAddress(FidesKey, collection, path), field);
            foreach (var nested in Walk(field.Fields, collection, path))
            {
                yield return nested;
            }
        }
    }
}

/// <summary>Dataset-level traversal hints.</summary>
public sealed record DatasetMeta
{
    /// <summary>Keys of datasets whose requests must run before this one's.</summary>
    [JsonPropertyName("after")]
    public IReadOnlyList<string>? After { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>A table (or document collection) of a dataset.</summary>
public sealed record Collection
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    /// <summary>Data-category keys that apply to every field.</summary>
    [JsonPropertyName("data_categories")]
    public IReadOnlyList<string>? DataCategories { get; init; }

    [JsonPropertyName("fields")]
    public IReadOnlyList<Field> Fields { get; init; } = [];

    [JsonPropertyName("fides_meta")]
    public CollectionMeta? FidesMeta { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>Collection-level traversal and erasure hints.</summary>
public sealed record CollectionMeta
{
    /// <summary><c>dataset.collection</c> keys this collection is read after.</summary>
    [JsonPropertyName("after")]
    public IReadOnlyList<string>? After { get; init; }

    /// <summary><c>dataset.collection</c> keys this collection is erased after.</summary>
    [JsonPropertyName("erase_after")]
    public IReadOnlyList<string>? EraseAfter { get; init; }

    [JsonPropertyName("skip_processing")]
    public bool? SkipProcessing { get; init; }

    /// <summary>At collection level fideslang knows one strategy: <c>delete</c> (whole rows instead of masking).</summary>
    [JsonPropertyName("masking_strategy_override")]
    public MaskingOverride? MaskingStrategyOverride { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>A column or document key; <see cref="Fields"/> holds the keys of a nested object.</summary>
public sealed record Field
{
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    [JsonPropertyName("data_categories")]
    public IReadOnlyList<string>? DataCategories { get; init; }

    [JsonPropertyName("fides_meta")]
    public FieldMeta? FidesMeta { get; init; }

    [JsonPropertyName("fields")]
    public IReadOnlyList<Field>? Fields { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>What the request engine needs to know about a field beyond its categories.</summary>
public sealed record FieldMeta
{
    [JsonPropertyName("references")]
    public IReadOnlyList<Reference>? References { get; init; }

    /// <summary>The identity type (e.g. <c>email</c>, <c>phone_number</c>) whose value finds rows by this field.</summary>
    [JsonPropertyName("identity")]
    public string? Identity { get; init; }

    [JsonPropertyName("primary_key")]
    public bool? PrimaryKey { get; init; }

    /// <summary>One of <see cref="DataTypes.All"/>, optionally suffixed <c>[]</c> for arrays.</summary>
    [JsonPropertyName("data_type")]
    public string? DataType { get; init; }

    /// <summary>The longest value the field takes; masking never writes longer values.</summary>
    [JsonPropertyName("length")]
    public int? Length { get; init; }

    [JsonPropertyName("return_all_elements")]
    public bool? ReturnAllElements { get; init; }

    [JsonPropertyName("read_only")]
    public bool? ReadOnly { get; init; }

    [JsonPropertyName("custom_request_field")]
    public string? CustomRequestField { get; init; }

    [JsonPropertyName("masking_strategy_override")]
    public MaskingOverride? MaskingStrategyOverride { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>A link from one field to a field of another collection (possibly in another dataset), with the direction
/// data flows during a request: <c>to</c> the referenced field, <c>from</c> it, or both ways when absent.</summary>
public sealed record Reference
{
    [JsonPropertyName("dataset")]
    public string Dataset { get; init; } = "";

    /// <summary><c>collection.field</c>, or <c>collection.field.nested</c>.</summary>
    [JsonPropertyName("field")]
    public string Field { get; init; } = "";

    [JsonPropertyName("direction")]
    public string? Direction { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>A masking strategy chosen for one field (or, with <c>delete</c>, for a whole collection), with its settings.</summary>
public sealed record MaskingOverride
{
    [JsonPropertyName("strategy")]
    public string Strategy { get; init; } = "";

    [JsonPropertyName("configuration")]
    public Dictionary<string, JsonElement>? Configuration { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>The field types fideslang knows; an array of them is written <c>type[]</c>.</summary>
public static class DataTypes
{
    public static readonly IReadOnlyList<string> All = ["string", "integer", "float", "boolean", "object_id", "object"];

    public static bool IsArray(string? dataType) => dataType?.EndsWith("[]", StringComparison.Ordinal) == true;

    /// <summary>The element type of an array type, or the type itself.</summary>
    public static string? ElementType(string? dataType) => IsArray(dataType) ? dataType![..^2] : dataType;
}

/// <summary>Which way data flows along a reference.</summary>
public enum ReferenceDirection
{
    /// <summary>The declaring field's value finds rows by the referenced field.</summary>
    To,
    /// <summary>The referenced field's value finds rows by the declaring field.</summary>
    From,
}

public static class ReferenceDirections
{
    public const string To = "to";
    public const string From = "from";

    /// <summary>The direction a reference declares; null when it declares none (both ways) or an unknown one.</summary>
    public static ReferenceDirection? Parse(string? direction) => direction switch
    {
        To => ReferenceDirection.To,
        From => ReferenceDirection.From,
        _ => null,
    };
}

/// <summary>Where a field is: dataset, collection and the path of names down to it (one name unless nested).</summary>
public sealed record FieldAddress(string Dataset, string Collection, IReadOnlyList<string> Path)
{
    /// <summary>The address a reference names: a dataset key and <c>collection.field[.nested...]</c>.</summary>
    public static FieldAddress Parse(string dataset, string collectionAndField)
    {
        var parts = collectionAndField.Split('.');
        return new FieldAddress(dataset, parts[0], parts.Length > 1 ? parts[1..] : []);
    }

    /// <summary>The field's path inside its collection, dotted (<c>workplace_info.employer</c>).</summary>
    public string FieldPath => string.Join('.', Path);

    public bool Equals(FieldAddress? other) =>
        other is not null && Dataset == other.Dataset && Collection == other.Collection && Path.SequenceEqual(other.Path);

    public override int GetHashCode() => HashCode.Combine(Dataset, Collection, FieldPath);

    public override string ToString() => $"{Dataset}.{Collection}.{FieldPath}";
}

/// <summary>A field that holds an identity of the data subject, with the identity's type.</summary>
public sealed record IdentityField(FieldAddress Field, string Identity);

/// <summary>A reference as declared on <see cref="Field"/>, pointing at <see cref="Referenced"/>.</summary>
public sealed record FieldReference(FieldAddress Field, FieldAddress Referenced, ReferenceDirection? Direction)
{
    /// <summary>Where data flows from (for an undirected reference, the declaring field).</summary>
    public FieldAddress From => Direction == ReferenceDirection.From ? Referenced : Field;

    /// <summary>Where data flows to (for an undirected reference, the referenced field).</summary>
    public FieldAddress To => Direction == ReferenceDirection.From ? Field : Referenced;

    public bool Directed => Direction is not null;
}
