using System.Text;

namespace Dataward.Domain.Pseudonymisation;

/// <summary>A k-anonymity report (minimisation.md §4.1): the smallest group of records sharing one combination of
/// quasi-identifier values, and the groups below the target. It holds counts only: no value of any group, so it can
/// be shown to anyone (MIN015).</summary>
public sealed record KAnonymityReport(
    int TargetK,
    IReadOnlyList<string> QuasiIdentifiers,
    long Records,
    long Groups,
    long SmallestGroup,
    long GroupsBelowK,
    long RecordsBelowK,
    IReadOnlyList<SmallGroup> SmallGroups)
{
    /// <summary>Every record is in a group of at least <see cref="TargetK"/> (an empty table passes trivially).</summary>
    public bool Passes => GroupsBelowK == 0;
}

/// <summary>One group below k, by its size alone: which values it holds is never reported (MIN015).</summary>
public sealed record SmallGroup(int Group, long Size);

/// <summary>Counts records per combination of quasi-identifier values while rows stream past. Memory grows with the
/// number of distinct combinations, not with the number of records.</summary>
public sealed class KAnonymityCounter
{
    public const int DefaultK = 5;
    private readonly Dictionary<string, long> groups = new(StringComparer.Ordinal);
    private readonly StringBuilder key = new();
    private long records;

    public KAnonymityCounter(IReadOnlyList<string> quasiIdentifiers)
    {
        if (quasiIdentifiers.Count == 0)
        {
            throw new ArgumentException("Name at least one quasi-identifier.", nameof(quasiIdentifiers));
        }
        QuasiIdentifiers = quasiIdentifiers;
    }

    public IReadOnlyList<string> QuasiIdentifiers { get; }

    /// <summary>Adds one record, given its quasi-identifier values in the order of <see cref="QuasiIdentifiers"/>
    /// (null is a value of its own, as a suppressed cell is).</summary>
    public void Add(ReadOnlySpan<string?> values)
    {
        key.Clear();
        foreach (var value in values)
        {
            // Length-prefixed, so ("a:b", "c") and ("a", "b:c") are different groups.
            if (value is null)
            {
                key.Append("-1:");
            }
            else
            {
                key.Append(value.Length).Append(':').Append(value);
            }
        }
        var text = key.ToString();
        groups[text] = groups.GetValueOrDefault(text) + 1;
        records++;
    }

    /// <summary>The report for target <paramref name="k"/>; small groups are numbered by size, not by value.</summary>
    public KAnonymityReport Report(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 2);
        var small = groups.Values.Where(size => size < k).Order().ToList();
        return new KAnonymityReport(k, QuasiIdentifiers, records, groups.Count, groups.Count == 0 ? 0 : groups.Values.Min(),
            small.Count, small.Sum(), [.. small.Select((size, i) => new SmallGroup(i + 1, size))]);
    }
}

/// <summary>What an extract may call itself (MIN016).</summary>
public static class ReleaseLabels
{
    /// <summary>Passed the k-anonymity check on declared quasi-identifiers and holds no identifier, clear or pseudonymised.</summary>
    public const string Anonymised = "anonymised";
    /// <summary>Anything else without a direct identifier in clear: still personal data (Recital 26).</summary>
    public const string Pseudonymised = "pseudonymised";
    /// <summary>Holds a direct identifier as is: personal data, not even pseudonymised.</summary>
    public const string Identifiable = "identifiable";

    /// <summary>MIN016: "anonymised" only with a passed k-anonymity report on declared quasi-identifiers, no direct
    /// identifier and no pseudonym (a pseudonym still links records: WP216).</summary>
    public static string For(bool directIdentifierInClear, bool anyPseudonymOrIdentifier, KAnonymityReport? check)
    {
        if (directIdentifierInClear)
        {
            return Identifiable;
        }
        return !anyPseudonymOrIdentifier && check is { Passes: true, QuasiIdentifiers.Count: > 0, Records: > 0 } ? Anonymised : Pseudonymised;
    }
}
