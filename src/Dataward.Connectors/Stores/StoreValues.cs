using System.Globalization;
using System.Text;

namespace Dataward.Connectors.Stores;

/// <summary>Values as the engine passes them between stores: integers as <see cref="long"/>, exact numbers as
/// <see cref="decimal"/>, floats as <see cref="double"/>, text, booleans, <see cref="DateTime"/> (UTC for zoned
/// timestamps), <see cref="DateOnly"/>, <see cref="Guid"/> and bytes. A value found in one column is converted to the
/// kind of the column it is looked up in, as Fides converts values along a reference; a value that does not convert
/// (text "abc" for an integer key) matches nothing and is dropped.</summary>
public static class StoreValues
{
    private static readonly string[] TimestampFormats =
        ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF", "O"];

    /// <summary>The common shape of a stored timestamp, <c>yyyy-MM-dd HH:mm:ss</c> (or with <c>T</c>) and up to seven
    /// fraction digits, read without the general parser: a retention sweep reads one per row. Anything else (or an
    /// impossible date) returns false and goes to <see cref="TimestampFormats"/>.</summary>
    private static bool TryParseIsoTimestamp(string text, out DateTime value)
    {
        value = default;
        if (text.Length < 19 || text.Length == 20 || text.Length > 27 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T')
            || text[13] != ':' || text[16] != ':' || (text.Length > 19 && text[19] != '.'))
        {
            return false;
        }
        static int Digits(string s, int start, int count)
        {
            var n = 0;
            for (var i = start; i < start + count; i++)
            {
                var d = s[i] - '0';
                if ((uint)d > 9)
                {
                    return -1;
                }
                n = n * 10 + d;
            }
            return n;
        }
        var (year, month, day) = (Digits(text, 0, 4), Digits(text, 5, 2), Digits(text, 8, 2));
        var (hour, minute, second) = (Digits(text, 11, 2), Digits(text, 14, 2), Digits(text, 17, 2));
        var fraction = text.Length > 20 ? Digits(text, 20, text.Length - 20) : 0;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), Math.Clamp(month, 1, 12))
            || hour is < 0 or > 23 || minute is < 0 or > 59 || second is < 0 or > 59 || fraction < 0)
        {
            return false;
        }
        for (var i = text.Length; i < 27 && text.Length > 20; i++)
        {
            fraction *= 10;
        }
        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fraction);
        return true;
    }

    /// <summary>Converts <paramref name="value"/> to <paramref name="kind"/>; false when it cannot be.</summary>
    public static bool TryCoerce(object? value, ValueKind kind, out object? result)
    {
        result = null;
        if (value is null or DBNull)
        {
            return false;
        }
        var invariant = CultureInfo.InvariantCulture;
        try
        {
            switch (kind)
            {
                case ValueKind.Text:
                    result = value switch
                    {
                        string s => s,
                        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", invariant),
                        DateOnly d => d.ToString("yyyy-MM-dd", invariant),
                        bool b => b ? "true" : "false",
                        IFormattable f => f.ToString(null, invariant),
                        _ => value.ToString(),
                    };
                    return result is not null;
                case ValueKind.Integer:
                    result = value switch
                    {
                        long l => l,
                        int or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, invariant),
                        ulong u when u <= long.MaxValue => (long)u,
                        decimal m when m == decimal.Truncate(m) => (long)m,
                        double d when d == Math.Truncate(d) && Math.Abs(d) < 9e18 => (long)d,
                        float f when f == MathF.Truncate(f) && Math.Abs(f) < 9e18 => (long)f,
                        bool b => b ? 1L : 0L,
                        string s when long.TryParse(s.Trim(), NumberStyles.AllowLeadingSign, invariant, out var l) => l,
                        _ => null,
                    };
                    return result is not null;
                case ValueKind.Decimal:
                    result = value switch
                    {
                        decimal m => m,
                        long or int or short or byte or double or float => Convert.ToDecimal(value, invariant),
                        string s when decimal.TryParse(s.Trim(), NumberStyles.Number, invariant, out var m) => m,
                        _ => null,
                    };
                    return result is not null;
                case ValueKind.Float:
                    result = value switch
                    {
                        double d => d,
                        long or int or short or byte or decimal or float => Convert.ToDouble(value, invariant),
                        string s when double.TryParse(s.Trim(), NumberStyles.Float, invariant, out var d) => d,
                        _ => null,
                    };
                    return result is not null;
                case ValueKind.Boolean:
                    result = value switch
                    {
                        bool b => b,
                        long or int or short or byte => Convert.ToInt64(value, invariant) != 0,
                        string s when bool.TryParse(s.Trim(), out var b) => b,
                        string s when s.Trim() is "0" or "1" => s.Trim() == "1",
                        _ => null,
                    };
                    return result is not null;
                case ValueKind.Timestamp:
                case ValueKind.TimestampWithZone:
                    DateTime? time = value switch
                    {
                        DateTime d => d,
                        DateTimeOffset o => o.UtcDateTime,
                        DateOnly d => d.ToDateTime(TimeOnly.MinValue),
                        string s when TryParseIsoTimestamp(s, out var iso) => iso,
                        string s when DateTime.TryParseExact(s.Trim(), TimestampFormats, invariant,
                            DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.RoundtripKind, out var d) => d,
                        _ => null,
                    };
                    if (time is { } t)
                    {
                        result = kind == ValueKind.TimestampWithZone
                            ? (t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : DateTime.SpecifyKind(t, DateTimeKind.Utc))
                            : DateTime.SpecifyKind(t, DateTimeKind.Unspecified);
                    }
                    return result is not null;
                case ValueKind.Date:
                    result = value switch
                    {
                        DateOnly d => d,
                        DateTime d => DateOnly.FromDateTime(d),
                        string s when DateOnly.TryParseExact(s.Trim(), "yyyy-MM-dd", invariant, DateTimeStyles.None, out var d) => d,
                        _ => null,
                    };
                    return result is not null;
                case ValueKind.Guid:
                    result = value switch
                    {
                        Guid g => g,
                        string s when Guid.TryParse(s, out var g) => g,
                        _ => null,
                    };
                    return result is not null;
                case ValueKind.Binary:
                    result = value as byte[];
                    return result is not null;
                case ValueKind.Other:
                    return TryCoerce(value, ValueKind.Text, out result);
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is OverflowException or FormatException or InvalidCastException)
        {
            result = null;
            return false;
        }
    }

    /// <summary>A stable text for a value, the same for equal values of the same kind: used to compare rows and to
    /// compute keyed fingerprints, never shown.</summary>
    public static string Canonical(object? value) => value switch
    {
        null or DBNull => "\u2205",
        string s => "s:" + s,
        long or int or short or byte => "i:" + Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        decimal m => "n:" + m.ToString(CultureInfo.InvariantCulture),
        double d => "f:" + d.ToString("R", CultureInfo.InvariantCulture),
        float f => "f:" + ((double)f).ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "b:1" : "b:0",
        DateTime d => "t:" + d.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture),
        DateTimeOffset o => "t:" + o.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture),
        DateOnly d => "d:" + d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Guid g => "g:" + g.ToString("D"),
        byte[] bytes => "x:" + Convert.ToHexString(bytes),
        _ => "o:" + Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    /// <summary>Writes <see cref="Canonical(IEnumerable{object?})"/> of <paramref name="values"/> into
    /// <paramref name="destination"/> without building strings for the common kinds (integers, text, null): the erasure
    /// engine hashes one per row. False, with nothing usable written, when it does not fit.</summary>
    public static bool TryWriteCanonical(IReadOnlyList<object?> values, Span<char> destination, out int written)
    {
        written = 0;
        Span<char> number = stackalloc char[20];
        for (var v = 0; v < values.Count; v++)
        {
            var value = values[v];
            ReadOnlySpan<char> kind = "";
            scoped ReadOnlySpan<char> body;
            switch (value)
            {
                case null or DBNull:
                    body = "\u2205";
                    break;
                case string s:
                    kind = "s:";
                    body = s;
                    break;
                case long or int or short or byte:
                    Convert.ToInt64(value, CultureInfo.InvariantCulture).TryFormat(number, out var digits, default, CultureInfo.InvariantCulture);
                    kind = "i:";
                    body = number[..digits];
                    break;
                default:
                    body = Canonical(value);
                    break;
            }
            var rest = destination[written..];
            if (!(kind.Length + body.Length).TryFormat(rest, out var length, default, CultureInfo.InvariantCulture)
                || rest.Length < length + 1 + kind.Length + body.Length)
            {
                written = 0;
                return false;
            }
            rest[length] = ':';
            kind.CopyTo(rest[(length + 1)..]);
            body.CopyTo(rest[(length + 1 + kind.Length)..]);
            written += length + 1 + kind.Length + body.Length;
        }
        return true;
    }

    /// <summary>The canonical text of several values (a key), unambiguous however the values look.</summary>
    public static string Canonical(IEnumerable<object?> values)
    {
        var text = new StringBuilder();
        foreach (var value in values)
        {
            var part = Canonical(value);
            text.Append(part.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(part);
        }
        return text.ToString();
    }
}
