using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dataward.Connectors.Formats;
using Dataward.Domain;

namespace Dataward.Connectors.Datasets;

/// <summary>What a dataset file holds: the datasets under <c>dataset</c>.</summary>
public sealed record DatasetFileContent([property: JsonPropertyName("dataset")] IReadOnlyList<Dataset> Dataset);

/// <summary>Reads and writes fideslang dataset files: a mapping whose <c>dataset</c> key lists datasets, in YAML (as
/// Fides writes them) or JSON. Reading checks the shape only; <see cref="DatasetRules"/> checks the content.</summary>
public static class FidesDatasetFile
{
    /// <summary>The largest file accepted: a dataset of thousands of tables is well under this.</summary>
    public const int MaxBytes = 8 * 1024 * 1024;

    private const string DatasetKey = "dataset";

    /// <summary>How datasets are written everywhere (database, API, files): fideslang's names, absent values left out.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        MaxDepth = YamlJson.MaxDepth,
    };

    /// <summary>Parses a dataset file. A single dataset mapping (with <c>fides_key</c> at the top, as
    /// <c>GET /api/datasets/{key}</c> returns it) is accepted as a file of one.</summary>
    public static Outcome<IReadOnlyList<Dataset>> Parse(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > MaxBytes)
        {
            return Outcome<IReadOnlyList<Dataset>>.Invalid("file", $"The file is larger than {MaxBytes / 1024 / 1024} MB.");
        }
        JsonNode? root;
        try
        {
            root = text.TrimStart().StartsWith('{')
                ? JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = YamlJson.MaxDepth })
                : YamlJson.Read(new StringReader(text));
        }
        catch (FormatException e)
        {
            return Outcome<IReadOnlyList<Dataset>>.Invalid("file", e.Message);
        }
        catch (JsonException e)
        {
            return Outcome<IReadOnlyList<Dataset>>.Invalid("file", e.Message.Contains("maximum configured depth", StringComparison.Ordinal)
                ? $"The document is nested deeper than {YamlJson.MaxDepth} levels."
                : $"Not valid JSON at line {e.LineNumber + 1}: {e.Message}");
        }

        if (root is JsonObject single && single.ContainsKey("fides_key") && !single.ContainsKey(DatasetKey))
        {
            root = new JsonObject { [DatasetKey] = new JsonArray(single.DeepClone()) };
        }
        if (root is not JsonObject file || file[DatasetKey] is not JsonArray items)
        {
            return Outcome<IReadOnlyList<Dataset>>.Invalid("file", "A fideslang dataset file is a mapping whose 'dataset' key lists datasets.");
        }
        if (file.Select(p => p.Key).FirstOrDefault(k => k != DatasetKey) is { } other)
        {
            return Outcome<IReadOnlyList<Dataset>>.Invalid(other, $"Only 'dataset' is read from a dataset file; '{other}' is not. Import other resources where they belong.");
        }
        if (items.Count == 0)
        {
            return Outcome<IReadOnlyList<Dataset>>.Invalid(DatasetKey, "The file lists no datasets.");
        }

        var datasets = new List<Dataset>();
        var violations = new List<Violation>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not JsonObject item)
            {
                violations.Add(new Violation($"{DatasetKey}[{i}]", "Each dataset is a mapping with fides_key and collections."));
                continue;
            }
            try
            {
                datasets.Add(AcceptFidesopsMeta(item).Deserialize<Dataset>(Json)!);
            }
            catch (JsonException e)
            {
                var path = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : e.Path.TrimStart('$');
                violations.Add(new Violation($"{DatasetKey}[{i}]{path}", $"The value at '{DatasetKey}[{i}]{path}' is missing or not of the expected type."));
            }
        }
        return violations.Count > 0
            ? Outcome<IReadOnlyList<Dataset>>.Fail(FailureKind.Invalid, [.. violations])
            : Outcome<IReadOnlyList<Dataset>>.Success(datasets);
    }

    /// <summary>The datasets as a fideslang YAML file, which <see cref="Parse"/> reads back to the same datasets.</summary>
    public static string Write(IReadOnlyList<Dataset> datasets)
    {
        using var writer = new StringWriter();
        YamlJson.Write(JsonSerializer.SerializeToNode(new DatasetFileContent(datasets), Json), writer);
        return writer.ToString();
    }

    // Fides still reads files written before fides_meta was renamed from fidesops_meta, and so does Dataward; the
    // dataset is written back with today's name, as Fides does.
    private static JsonObject AcceptFidesopsMeta(JsonObject dataset)
    {
        static void Rename(JsonNode? node)
        {
            if (node is not JsonObject obj)
            {
                return;
            }
            if (obj.ContainsKey("fidesops_meta") && !obj.ContainsKey("fides_meta"))
            {
                var meta = obj["fidesops_meta"];
                obj.Remove("fidesops_meta");
                obj["fides_meta"] = meta;
            }
            foreach (var child in (obj["collections"] as JsonArray ?? []).Concat(obj["fields"] as JsonArray ?? []))
            {
                Rename(child);
            }
        }
        Rename(dataset);
        return dataset;
    }
}
