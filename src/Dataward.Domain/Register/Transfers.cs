namespace Dataward.Domain.Register;

/// <summary>Restricted transfers (register.md §5): where data may go freely, and which safeguards exist.</summary>
public static class Transfers
{
    public static readonly IReadOnlyList<string> Mechanisms =
    [
        "adequacy", "scc", "idta", "ukAddendum", "bcr", "codeOfConduct", "certification", "publicAuthorityInstrument",
        "adHocClauses", "derogation",
    ];

    public static readonly IReadOnlyList<string> Derogations =
    [
        "explicitConsent", "contractWithDataSubject", "contractInDataSubjectInterest", "publicInterest", "legalClaims",
        "vitalInterests", "publicRegister", "compellingLegitimateInterests",
    ];

    /// <summary>EEA members (EU 27, Iceland, Liechtenstein, Norway).</summary>
    public static readonly IReadOnlySet<string> Eea = new HashSet<string>
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
        "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
    };

    /// <summary>Destinations with an EU adequacy decision (Art. 45), as of 2026; the US only for certified recipients.</summary>
    public static readonly IReadOnlySet<string> EuAdequacy = new HashSet<string>
    {
        "AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY", "US",
    };

    /// <summary>Destinations covered by UK adequacy regulations (the EEA, Gibraltar and the EU's list, plus the UK's own).</summary>
    public static readonly IReadOnlySet<string> UkAdequacy = new HashSet<string>(Eea)
    {
        "GI", "AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "UY", "US",
    };

    /// <summary>Whether the transfer leaves the UK and the EEA (the reading of register.md §5: data moves
    /// between them under adequacy both ways, so no safeguard needs recording). International organisations are
    /// always restricted destinations.</summary>
    public static bool IsRestricted(Transfer transfer, Organisation organisation) =>
        transfer.Country is not { } country || (country != "GB" && !Eea.Contains(country));

    public static bool HasAdequacy(string? country, Organisation organisation)
    {
        if (country is null)
        {
            return false;
        }
        var ukOk = !organisation.IsUk || UkAdequacy.Contains(country) || country == "GB";
        var euOk = !organisation.Jurisdictions.Contains("EU", StringComparer.OrdinalIgnoreCase) || EuAdequacy.Contains(country) || Eea.Contains(country);
        return ukOk && euOk;
    }
}
