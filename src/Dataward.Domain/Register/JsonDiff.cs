using System.Text.Json.Nodes;

namespace Dataward.Domain.Register;

/// <summary>The fields that differ between two JSON documents, as dotted paths with list indexes
/// (<c>retention.period</c>, <c>dataCategories[1]</c>), in document order.</summary>
public static class JsonDiff
{
    public static IReadOnlyList<(string Field, JsonNode? Before, JsonNode? After)> Changes(JsonNode? before, JsonNode? after)
    {
        var changes = new List<(string, JsonNode?, JsonNode?)>();
        Walk("", before, after, changes);
        return changes;
    }

    private static void Walk(string path, JsonNode? before, JsonNode? after, List<(string, JsonNode?, JsonNode?)> changes)
    {
        if (before is JsonObject left && after is JsonObject right)
        {
            foreach (var key in left.Select(p => p.Key).Concat(right.Select(p => p.Key)).Distinct())
            {
                Walk(path.Length == 0 ? key : $"{path}.{key}", left[key], right[key], changes);
            }
            return;
        }
        if (before is JsonArray leftArray && after is JsonArray rightArray)
        {
            for (var i = 0; i < Math.Max(leftArray.Count, rightArray.Count); i++)
            {
                Walk($"{path}[{i}]", i < leftArray.Count ? leftArray[i] : null, i < rightArray.Count ? rightArray[i] : null, changes);
            }
            return;
        }
        if (!JsonNode.DeepEquals(before, after))
        {
            changes.Add((path, before?.DeepClone(), after?.DeepClone()));
        }
    }
}
