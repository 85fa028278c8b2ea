using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlScalar = YamlDotNet.Core.Events.Scalar;

namespace Dataward.Connectors.Formats;

/// <summary>YAML in and out through the same JSON model the API uses, so one set of types and one set of rules
/// validates both. Reading refuses what makes YAML dangerous to accept from people: anchors and aliases (the
/// "billion laughs" bomb), documents nested deeper than <see cref="MaxDepth"/>, and more than
/// <see cref="MaxNodes"/> values.</summary>
public static class YamlJson
{
    public const int MaxDepth = 64;
    public const int MaxNodes = 500_000;

    /// <summary>Parses one YAML document; throws <see cref="FormatException"/> with the line and column at fault.</summary>
    public static JsonNode? Read(TextReader reader)
    {
        var parser = new Parser(reader);
        var nodes = 0;
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
            {
                return null;
            }
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, 0, ref nodes);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                throw new FormatException("The file holds more than one YAML document; send one.");
            }
            return root;
        }
        catch (YamlException e)
        {
            throw new FormatException($"Not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }
    }

    private static JsonNode? ReadNode(IParser parser, int depth, ref int nodes)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException($"The document is nested deeper than {MaxDepth} levels.");
        }
        if (++nodes > MaxNodes)
        {
            throw new FormatException($"The document has more than {MaxNodes:N0} values.");
        }
        var current = parser.Current ?? throw new FormatException("The YAML document ended early.");
        if (current is AnchorAlias alias)
        {
            throw new FormatException($"YAML aliases (*{alias.Value}) are not accepted, at line {alias.Start.Line}: write the value out.");
        }
        if (current is NodeEvent { Anchor.IsEmpty: false } anchored)
        {
            throw new FormatException($"YAML anchors (&{anchored.Anchor}) are not accepted, at line {anchored.Start.Line}.");
        }
        switch (current)
        {
            case YamlScalar scalar:
                parser.MoveNext();
                return ScalarValue(scalar);
            case SequenceStart:
                parser.MoveNext();
                var array = new JsonArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    array.Add(ReadNode(parser, depth + 1, ref nodes));
                }
                return array;
            case MappingStart:
                parser.MoveNext();
                var obj = new JsonObject();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    if (parser.Current is not YamlScalar key)
                    {
                        throw new FormatException($"Only plain keys are accepted, at line {parser.Current?.Start.Line}.");
                    }
                    parser.MoveNext();
                    if (obj.ContainsKey(key.Value))
                    {
                        throw new FormatException($"The key '{key.Value}' appears twice, at line {key.Start.Line}.");
                    }
                    obj[key.Value] = ReadNode(parser, depth + 1, ref nodes);
                }
                return obj;
            default:
                throw new FormatException($"Unexpected YAML at line {current.Start.Line}.");
        }
    }

    // YAML 1.2 core schema: plain null/true/false/numbers are typed, everything quoted is a string.
    private static JsonNode? ScalarValue(YamlScalar scalar)
    {
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(scalar.Value);
        }
        var text = scalar.Value;
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (text.Any(char.IsDigit) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            && !double.IsInfinity(number) && !text.Contains('_'))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(text);
    }

    /// <summary>Writes <paramref name="node"/> as block-style YAML; strings that would read back as something else
    /// are quoted.</summary>
    public static void Write(JsonNode? node, TextWriter writer)
    {
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        WriteNode(emitter, node);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
    }

    private static void WriteNode(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new YamlScalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    emitter.Emit(new YamlScalar(key));
                    WriteNode(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    WriteNode(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                var plainWouldChange = ScalarValue(new YamlScalar(text)) is not JsonValue typed || !typed.TryGetValue<string>(out var back) || back != text;
                emitter.Emit(new YamlScalar(null, null, text, plainWouldChange ? ScalarStyle.DoubleQuoted : ScalarStyle.Any, !plainWouldChange, plainWouldChange));
                break;
            default:
                emitter.Emit(new YamlScalar(null, null, node.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }
}
