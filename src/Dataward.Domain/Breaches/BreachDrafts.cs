using Dataward.Domain.Taxonomy;

namespace Dataward.Domain.Breaches;

/// <summary>ACC008: the Art. 33(3) items a notification to the authority must carry, and the Art. 34(2) items of the
/// letter to people (the nature of the breach plus 33(3)(b)-(d)); a draft missing one is flagged incomplete.</summary>
public static class BreachDrafts
{
    public const string Nature = "nature";
    public const string Contact = "contact";
    public const string LikelyConsequences = "likelyConsequences";
    public const string Measures = "measures";

    public static readonly IReadOnlyList<string> Art33Items = [Nature, Contact, LikelyConsequences, Measures];

    /// <summary>The items with no text, in the order of Art. 33(3).</summary>
    public static IReadOnlyList<string> Missing(IReadOnlyDictionary<string, string?> items) =>
        Art33Items.Where(key => string.IsNullOrWhiteSpace(items.GetValueOrDefault(key))).ToList();

    /// <summary>The ICO online form's categories of personal data (§1.6) for fideslang data category keys.</summary>
    public static IReadOnlyList<string> IcoDataCategories(IEnumerable<string> keys, Taxonomy.Taxonomy taxonomy)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            var special = taxonomy.SpecialCategoriesOf(key);
            if (special.Contains(SpecialCategory.Genetic) || special.Contains(SpecialCategory.Biometric))
            {
                result.Add("genetic or biometric data");
            }
            if (special.Count > 0)
            {
                result.Add("special category data");
            }
            else if (Taxonomy.Taxonomy.IsCriminalOffenceData(key))
            {
                result.Add("criminal offence data");
            }
            else if (Under(key, "user.financial", "user.payment"))
            {
                result.Add("economic and financial data");
            }
            else if (Under(key, "user.authorization", "system.authentication"))
            {
                result.Add("identification data (usernames, passwords)");
            }
            else if (Under(key, "user.government_id"))
            {
                result.Add("official documents");
            }
            else if (Under(key, "user.location"))
            {
                result.Add("location data");
            }
            else if (Under(key, "user.name", "user.contact", "user.unique_id", "user.account", "user.demographic"))
            {
                result.Add("basic personal identifiers");
            }
            else
            {
                result.Add("other");
            }
        }
        return result.Count == 0 ? ["not yet known"] : result.ToList();
    }

    /// <summary>The ICO's likelihood that people suffer significant consequences, from the risk level (§1.8).</summary>
    public static string Likelihood(string? riskLevel) => riskLevel switch
    {
        RiskLevels.HighRisk => "likely (high risk)",
        RiskLevels.Risk => "possible (risk)",
        RiskLevels.None => "unlikely",
        _ => "not yet assessed",
    };

    private static bool Under(string key, params string[] ancestors) => ancestors.Any(a => Taxonomy.Taxonomy.IsSelfOrDescendant(key, a));
}
