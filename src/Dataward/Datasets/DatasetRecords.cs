namespace Dataward.Datasets;

/// <summary>A registered dataset: the fideslang document (JSON) plus the columns the list shows.</summary>
public sealed class DatasetRecord
{
    /// <summary>The dataset's <c>fides_key</c>.</summary>
    public required string Key { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    /// <summary>The <see cref="Connectors.Datasets.Dataset"/> as JSON, in the order it was written.</summary>
    public required string Document { get; set; }
    public int CollectionCount { get; set; }
    /// <summary>Every field, nested ones included.</summary>
    public int FieldCount { get; set; }
    /// <summary>Starts at 1, +1 on every replacement: the ETag.</summary>
    public int Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An application that holds personal data, and the datasets it keeps it in.</summary>
public sealed class SystemRecord
{
    public required string Key { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    /// <summary>Who answers for the system (a name or team).</summary>
    public string? Owner { get; set; }
    /// <summary>Keys of registered datasets.</summary>
    public List<string> Datasets { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}
