using System.Text;

namespace Dataward.Domain.Pseudonymisation;

/// <summary>How an identifier is written before it is pseudonymised, so that one person's value gives one pseudonym
/// however it was typed.</summary>
public enum IdentifierKind
{
    /// <summary>Trimmed, Unicode NFC; case kept.</summary>
    Text,
    /// <summary>As text, then case-folded: e-mail addresses are compared without case in practice.</summary>
    Email,
    /// <summary>Upper case without spaces (UK postcodes).</summary>
    Postcode,
    /// <summary>Digits only, with a leading + kept.</summary>
    Phone,
}

/// <summary>The normalisation rules of minimisation.md §3.3. They are version 1; a change to them changes every
/// pseudonym, so it must come with a new key version (recorded on each key as its <see cref="Version"/>).</summary>
public static class Normalisation
{
    public const int Version = 1;

    public static string Normalise(string value, IdentifierKind kind)
    {
        var text = value.Trim();
        // NFC only when needed: most identifiers are ASCII, which is always normalised. With invariant globalization
        // (Dataward's build) .NET cannot normalise, and the composition table does what NFC does for letters.
        if (!System.Text.Ascii.IsValid(text))
        {
            text = text.IsNormalized(NormalizationForm.FormC) ? Composition.Compose(text) : text.Normalize(NormalizationForm.FormC);
        }
        return kind switch
        {
            IdentifierKind.Text => text,
            IdentifierKind.Email => text.ToLowerInvariant(),
            IdentifierKind.Postcode => string.Concat(text.Where(c => !char.IsWhiteSpace(c))).ToUpperInvariant(),
            IdentifierKind.Phone => (text.StartsWith('+') ? "+" : "") + string.Concat(text.Where(char.IsAsciiDigit)),
        };
    }

    /// <summary>The kind of identifier a field holds, from its data categories.</summary>
    public static IdentifierKind KindOf(IEnumerable<string> dataCategories)
    {
        foreach (var category in dataCategories)
        {
            if (IsUnder(category, "user.contact.email"))
            {
                return IdentifierKind.Email;
            }
            if (IsUnder(category, "user.contact.address.postal_code"))
            {
                return IdentifierKind.Postcode;
            }
            if (IsUnder(category, "user.contact.phone_number") || IsUnder(category, "user.contact.fax_number"))
            {
                return IdentifierKind.Phone;
            }
        }
        return IdentifierKind.Text;
    }

    private static bool IsUnder(string key, string ancestor) =>
        key == ancestor || key.StartsWith(ancestor + ".", StringComparison.Ordinal);
}
