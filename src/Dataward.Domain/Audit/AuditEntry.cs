using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dataward.Domain.Audit;

/// <summary>One link of the hash-chained audit trail: who did what to which thing, with references and
/// counts only, never personal data in clear.</summary>
public sealed class AuditEntry
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    private AuditEntry(long sequence, DateTimeOffset time, string actor, string action, string target,
        string details, string previousHash, string hash)
    {
        Sequence = sequence;
        Time = time;
        Actor = actor;
        Action = action;
        Target = target;
        Details = details;
        PreviousHash = previousHash;
        Hash = hash;
    }

    /// <summary>Position in the chain, 1 for the first entry; gaps are tampering.</summary>
    public long Sequence { get; private set; }

    public DateTimeOffset Time { get; private set; }

    /// <summary>A reference such as <c>user:{id}</c>, <c>token:{id}</c>, <c>cli</c> or <c>system</c>.</summary>
    public string Actor { get; private set; }

    /// <summary>A dotted verb such as <c>auth.sign_in</c> or <c>tokens.created</c>.</summary>
    public string Action { get; private set; }

    /// <summary>A reference to what was acted on, such as <c>user:{id}</c>; empty when nothing specific.</summary>
    public string Target { get; private set; }

    /// <summary>Canonical JSON (keys sorted, no whitespace) of the entry's details.</summary>
    public string Details { get; private set; }

    public string PreviousHash { get; private set; }

    public string Hash { get; private set; }

    /// <summary>The next link after <paramref name="previous"/> (null for the first entry).</summary>
    public static AuditEntry Chain(AuditEntry? previous, DateTimeOffset time, string actor, string action,
        string target, JsonObject? details = null) =>
        Chain(previous?.Sequence ?? 0, previous?.Hash ?? GenesisHash, time, actor, action, target, details);

    /// <summary>The next link after the entry with <paramref name="previousSequence"/> and
    /// <paramref name="previousHash"/> (0 and <see cref="GenesisHash"/> for the first entry).</summary>
    public static AuditEntry Chain(long previousSequence, string previousHash, DateTimeOffset time, string actor,
        string action, string target, JsonObject? details = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        // Both providers keep microseconds (PostgreSQL's timestamptz cannot hold .NET's 100 ns ticks), so the
        // hashed instant must be the stored one.
        var utc = time.ToUniversalTime();
        var instant = new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
        var canonicalDetails = CanonicalJson.Write(details ?? []);
        var sequence = previousSequence + 1;
        var hash = ComputeHash(sequence, instant, actor, action, target, canonicalDetails, previousHash);
        return new AuditEntry(sequence, instant, actor, action, target, canonicalDetails, previousHash, hash);
    }

    /// <summary>SHA-256 over the canonical encoding of every field and the previous hash, as lower-case hex.</summary>
    public static string ComputeHash(long sequence, DateTimeOffset time, string actor, string action, string target,
        string details, string previousHash)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteNumberValue(sequence);
            writer.WriteStringValue(FormatInstant(time));
            writer.WriteStringValue(actor);
            writer.WriteStringValue(action);
            writer.WriteStringValue(target);
            writer.WriteStringValue(details);
            writer.WriteStringValue(previousHash);
            writer.WriteEndArray();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>The instant as hashed: UTC with exactly six fractional digits.</summary>
    public static string FormatInstant(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Recomputes this entry's hash from its stored fields.</summary>
    public string RecomputeHash() => ComputeHash(Sequence, Time, Actor, Action, Target, Details, PreviousHash);
}

/// <summary>JSON with object keys sorted ordinally and no insignificant whitespace, so equal documents hash equally.</summary>
public static class CanonicalJson
{
    public static string Write(JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteNode(writer, node);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteNode(writer, value);
                }
                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteNode(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
