using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dataward.Connectors.Stores;

namespace Dataward.Connectors.Masking;

/// <summary>The secrets one erasure masks with: a salt made for this request (hash), the organisation's keyed-hash
/// key (hmac), and the key of the proof's fingerprints. Same salt, same hash: join keys masked by hash stay equal
/// across tables within one request.</summary>
public sealed record MaskingSecrets(byte[] RequestSalt, byte[] HmacKey, byte[] FingerprintKey)
{
    public static MaskingSecrets Random() =>
        new(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
}

/// <summary>A masking strategy named as Fides names it, with its <c>configuration</c> (as in a dataset's
/// <c>masking_strategy_override</c> or an erasure rule).</summary>
public sealed record MaskingSpec(string Strategy, IReadOnlyDictionary<string, JsonElement>? Configuration = null)
{
    public static MaskingSpec Of(string strategy) => new(strategy);
}

/// <summary>How one field's values are overwritten (spec §5.1). A strategy says whether it fits a column (type,
/// nullability, length) before anything runs; values that are already null stay null.</summary>
public abstract class MaskingStrategy
{
    public const string NullRewrite = "null_rewrite";
    public const string StringRewrite = "string_rewrite";
    public const string RandomStringRewrite = "random_string_rewrite";
    public const string Hash = "hash";
    public const string Hmac = "hmac";
    public const string DateTruncate = "date_truncate";
    public const string DeleteRow = "delete_row";
    /// <summary>Dataward's default: the least revealing value the column accepts (see <see cref="FitFor"/>).</summary>
    public const string Auto = "auto";

    public abstract string Name { get; }

    /// <summary>True when every value is replaced by the same one (null, a fixed rewrite), so a whole page of rows can be
    /// changed by one statement.</summary>
    public virtual bool IsConstant => false;

    /// <summary>Why the strategy cannot write <paramref name="column"/>, or null when it can.</summary>
    public abstract string? Unfit(StoreColumn column);

    /// <summary>The value to write in place of <paramref name="value"/>.</summary>
    public object? Mask(object? value, StoreColumn column, MaskingSecrets secrets) =>
        value is null ? null : MaskValue(value, column, secrets);

    protected abstract object? MaskValue(object value, StoreColumn column, MaskingSecrets secrets);

    /// <summary>The strategy a spec names, or an error saying what is wrong with it. <c>delete_row</c> and <c>auto</c>
    /// are not field strategies: the erasure runner handles them.</summary>
    public static (MaskingStrategy? Strategy, string? Error) Create(MaskingSpec spec)
    {
        var config = spec.Configuration ?? new Dictionary<string, JsonElement>();
        var suffix = config.TryGetValue("format_preservation", out var preservation) && preservation.ValueKind == JsonValueKind.Object
            && preservation.TryGetProperty("suffix", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() ?? "" : "";
        string? Algorithm(out string? error)
        {
            error = null;
            var algorithm = config.TryGetValue("algorithm", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "SHA-256";
            if (algorithm is not ("SHA-256" or "SHA-512"))
            {
                error = $"The {spec.Strategy} algorithm is SHA-256 or SHA-512, not '{algorithm}'.";
            }
            return algorithm;
        }
        switch (spec.Strategy)
        {
            case NullRewrite:
                return (new NullRewriteStrategy(), null);
            case StringRewrite:
                if (!config.TryGetValue("rewrite_value", out var rewrite) || rewrite.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.Object or JsonValueKind.Array)
                {
                    return (null, "string_rewrite needs configuration.rewrite_value.");
                }
                object value = rewrite.ValueKind switch
                {
                    JsonValueKind.String => rewrite.GetString()! + suffix,
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => rewrite.TryGetInt64(out var l) ? l : rewrite.GetDecimal(),
                };
                return (new StringRewriteStrategy(value), null);
            case RandomStringRewrite:
                var length = config.TryGetValue("length", out var n) && n.TryGetInt32(out var len) ? len : 30;
                return length is < 1 or > 1000 ? (null, "random_string_rewrite length is 1 to 1000.") : (new RandomStringStrategy(length, suffix), null);
            case Hash:
                {
                    var algorithm = Algorithm(out var error);
                    return error is null ? (new HashStrategy(algorithm!, suffix, keyed: false), null) : (null, error);
                }
            case Hmac:
                {
                    var algorithm = Algorithm(out var error);
                    return error is null ? (new HashStrategy(algorithm!, suffix, keyed: true), null) : (null, error);
                }
            case DateTruncate:
                var to = config.TryGetValue("to", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "year";
                return to is "year" or "month" ? (new DateTruncateStrategy(to), null) : (null, $"date_truncate goes to 'year' or 'month', not '{to}'.");
            default:
                return (null, $"'{spec.Strategy}' is not a masking strategy here; use {NullRewrite}, {StringRewrite}, {RandomStringRewrite}, {Hash}, {Hmac}, {DateTruncate} or {DeleteRow}.");
        }
    }

    /// <summary>The default for a column: null where it may be null; otherwise random text of at most 30 characters
    /// (within its length), zero for numbers, false, 1970-01-01 for dates, the empty GUID.</summary>
    public static MaskingStrategy? FitFor(StoreColumn column) => column switch
    {
        { Nullable: true } => new NullRewriteStrategy(),
        { Kind: ValueKind.Text } => new RandomStringStrategy(Math.Min(30, column.MaxLength ?? 30), ""),
        { Kind: ValueKind.Integer or ValueKind.Decimal or ValueKind.Float } => new StringRewriteStrategy(0L),
        { Kind: ValueKind.Boolean } => new StringRewriteStrategy(false),
        { Kind: ValueKind.Timestamp or ValueKind.TimestampWithZone or ValueKind.Date } => new StringRewriteStrategy(new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Unspecified)),
        { Kind: ValueKind.Guid } => new StringRewriteStrategy(Guid.Empty),
        _ => null,
    };

    protected static string? TextOnly(StoreColumn column, string name) =>
        column.Kind == ValueKind.Text ? null : $"{name} writes text and column '{column.Name}' holds {column.DataType}.";

    protected static string Truncate(string text, StoreColumn column) =>
        column.MaxLength is { } max && text.Length > max ? text[..max] : text;

    private sealed class NullRewriteStrategy : MaskingStrategy
    {
        public override string Name => NullRewrite;

        public override bool IsConstant => true;

        public override string? Unfit(StoreColumn column) => column.Nullable ? null : $"column '{column.Name}' is NOT NULL, so null_rewrite cannot clear it.";

        protected override object? MaskValue(object value, StoreColumn column, MaskingSecrets secrets) => null;
    }

    private sealed class StringRewriteStrategy(object value) : MaskingStrategy
    {
        public override string Name => StringRewrite;

        public override bool IsConstant => true;

        public override string? Unfit(StoreColumn column) =>
            StoreValues.TryCoerce(value, column.Kind, out _) ? null : $"the rewrite value does not fit column '{column.Name}' ({column.DataType}).";

        protected override object? MaskValue(object original, StoreColumn column, MaskingSecrets secrets)
        {
            StoreValues.TryCoerce(value, column.Kind, out var typed);
            return typed is string text ? Truncate(text, column) : typed;
        }
    }

    private sealed class RandomStringStrategy(int length, string suffix) : MaskingStrategy
    {
        private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

        public override string Name => RandomStringRewrite;

        public override string? Unfit(StoreColumn column) => TextOnly(column, Name);

        protected override object? MaskValue(object value, StoreColumn column, MaskingSecrets secrets) =>
            Truncate(RandomText(length) + suffix, column);

        // Uniform over the alphabet, from the system's cryptographic generator, as RandomNumberGenerator.GetString is:
        // random bytes below 252 (7 x 36) map to a letter each, the rest are drawn again. One call fills a buffer for
        // the whole text where GetString draws per character (an erasure masks several values per row).
        private static string RandomText(int length) => string.Create(length, 0, static (text, _) =>
        {
            Span<byte> bytes = stackalloc byte[64];
            var used = bytes.Length;
            for (var i = 0; i < text.Length;)
            {
                if (used == bytes.Length)
                {
                    RandomNumberGenerator.Fill(bytes);
                    used = 0;
                }
                var b = bytes[used++];
                if (b < 252)
                {
                    text[i++] = Alphabet[b % Alphabet.Length];
                }
            }
        });
    }

    private sealed class HashStrategy(string algorithm, string suffix, bool keyed) : MaskingStrategy
    {
        public override string Name => keyed ? Hmac : Hash;

        public override string? Unfit(StoreColumn column) => TextOnly(column, Name);

        protected override object? MaskValue(object value, StoreColumn column, MaskingSecrets secrets)
        {
            StoreValues.TryCoerce(value, ValueKind.Text, out var text);
            var input = Encoding.UTF8.GetBytes((string)text!);
            byte[] digest;
            if (keyed)
            {
                // The organisation's key, salted per request as Fides salts its HMAC.
                var salted = input.Concat(secrets.RequestSalt).ToArray();
                digest = algorithm == "SHA-512" ? HMACSHA512.HashData(secrets.HmacKey, salted) : HMACSHA256.HashData(secrets.HmacKey, salted);
            }
            else
            {
                var salted = input.Concat(secrets.RequestSalt).ToArray();
                digest = algorithm == "SHA-512" ? SHA512.HashData(salted) : SHA256.HashData(salted);
            }
            return Truncate(Convert.ToHexStringLower(digest) + suffix, column);
        }
    }

    private sealed class DateTruncateStrategy(string to) : MaskingStrategy
    {
        public override string Name => DateTruncate;

        public override string? Unfit(StoreColumn column) =>
            column.Kind is ValueKind.Timestamp or ValueKind.TimestampWithZone or ValueKind.Date ? null
                : $"date_truncate needs a date or timestamp and column '{column.Name}' holds {column.DataType}.";

        protected override object? MaskValue(object value, StoreColumn column, MaskingSecrets secrets) => value switch
        {
            DateOnly d => new DateOnly(d.Year, to == "year" ? 1 : d.Month, 1),
            DateTime d => new DateTime(d.Year, to == "year" ? 1 : d.Month, 1, 0, 0, 0, d.Kind),
            DateTimeOffset d => new DateTimeOffset(d.Year, to == "year" ? 1 : d.Month, 1, 0, 0, 0, d.Offset),
            string s when StoreValues.TryCoerce(s, ValueKind.Timestamp, out var t) => MaskValue(t!, column, secrets),
            _ => value,
        };
    }

    public override string ToString() => Name;
}
