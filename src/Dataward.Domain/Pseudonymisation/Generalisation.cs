using System.Globalization;
using System.Text.RegularExpressions;

namespace Dataward.Domain.Pseudonymisation;

/// <summary>Which rule of minimisation.md §4.1 a field's <c>generalise</c> treatment follows.</summary>
public enum GeneralisationKind
{
    /// <summary>A date or timestamp: month and year.</summary>
    Date,
    /// <summary>A date of birth: the year.</summary>
    DateOfBirth,
    /// <summary>An age in years: a 5-year band, 90 and over open.</summary>
    Age,
    /// <summary>A UK postcode: its outward code; invalid ones suppressed.</summary>
    Postcode,
    /// <summary>Free text, and anything without a rule of its own: removed (MIN014).</summary>
    Removed,
}

/// <summary>The UK generalisation rules (minimisation.md §4.1, MIN014). Every function returns null for a value it
/// cannot generalise safely: suppression, never pass-through.</summary>
public static partial class Generalisation
{
    public const int DefaultAgeBand = 5;
    public const int OpenAge = 90;

    /// <summary>The rule for a field, from its data categories and whether its column holds dates.</summary>
    public static GeneralisationKind KindOf(IReadOnlyCollection<string> dataCategories, bool dateColumn)
    {
        if (dataCategories.Any(c => IsUnder(c, "user.demographic.date_of_birth")))
        {
            return GeneralisationKind.DateOfBirth;
        }
        if (dataCategories.Any(c => IsUnder(c, "user.contact.address.postal_code")))
        {
            return GeneralisationKind.Postcode;
        }
        if (dataCategories.Any(c => IsUnder(c, "user.demographic.age_range")) && !dateColumn)
        {
            return GeneralisationKind.Age;
        }
        if (dateColumn)
        {
            return GeneralisationKind.Date;
        }
        // Text without a rule is free text; a number without one (an amount, a count) has no safe band here either.
        return GeneralisationKind.Removed;
    }

    /// <summary>The generalised value of <paramref name="value"/> as text, or null (removed or suppressed).</summary>
    public static string? Apply(object? value, GeneralisationKind kind) => kind switch
    {
        GeneralisationKind.Date => AsDate(value) is { } d ? d.ToString("yyyy-MM", CultureInfo.InvariantCulture) : null,
        GeneralisationKind.DateOfBirth => AsDate(value) is { } d ? d.Year.ToString("D4", CultureInfo.InvariantCulture) : null,
        GeneralisationKind.Age => AsAge(value) is { } age ? AgeBand(age) : null,
        GeneralisationKind.Postcode => value is string s ? OutwardCode(s) : null,
        GeneralisationKind.Removed => null,
    };

    /// <summary><c>37</c> → <c>35-39</c>; <c>93</c> → <c>90+</c> (bands of <paramref name="width"/> years, 5 or 10).</summary>
    public static string? AgeBand(int age, int width = DefaultAgeBand)
    {
        if (age is < 0 or > 150 || width is not (5 or 10))
        {
            return null;
        }
        if (age >= OpenAge)
        {
            return $"{OpenAge}+";
        }
        var low = age / width * width;
        return $"{low}-{low + width - 1}";
    }

    /// <summary><c>SW1A 1AA</c>, <c>sw1a1aa</c> → <c>SW1A</c>: upper case, spaces dropped, the inward code (last three
    /// characters) removed. Null for anything that is not a valid UK postcode.</summary>
    public static string? OutwardCode(string postcode)
    {
        var compact = string.Concat(postcode.Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant();
        return UkPostcode().IsMatch(compact) ? compact[..^3] : null;
    }

    /// <summary>The postcode area of an outward code: its leading letters (<c>SW1A</c> → <c>SW</c>), for outward codes
    /// shared by fewer than k records.</summary>
    public static string PostcodeArea(string outwardCode) => string.Concat(outwardCode.TakeWhile(char.IsAsciiLetter));

    private static DateOnly? AsDate(object? value) => value switch
    {
        DateOnly d => d,
        DateTime t => DateOnly.FromDateTime(t),
        DateTimeOffset o => DateOnly.FromDateTime(o.UtcDateTime),
        string s when DateTime.TryParse(s.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) =>
            DateOnly.FromDateTime(t),
        _ => null,
    };

    private static int? AsAge(object? value) => value switch
    {
        long l when l is >= 0 and <= 150 => (int)l,
        int i when i is >= 0 and <= 150 => i,
        short s when s is >= 0 and <= 150 => s,
        decimal m when m is >= 0 and <= 150 => (int)decimal.Floor(m),
        double d when d is >= 0 and <= 150 => (int)Math.Floor(d),
        float f when f is >= 0 and <= 150 => (int)MathF.Floor(f),
        string s when int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= 150 => i,
        _ => null,
    };

    private static bool IsUnder(string key, string ancestor) =>
        key == ancestor || key.StartsWith(ancestor + ".", StringComparison.Ordinal);

    // The shapes of UK postcodes (A9 9AA, A99 9AA, A9A 9AA, AA9 9AA, AA99 9AA, AA9A 9AA) and GIR 0AA; the inward
    // code's letters never include C, I, K, M, O or V.
    [GeneratedRegex("^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$")]
    private static partial Regex UkPostcode();
}
