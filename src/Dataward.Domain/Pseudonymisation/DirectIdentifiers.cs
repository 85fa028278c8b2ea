namespace Dataward.Domain.Pseudonymisation;

/// <summary>Fields that name a person on their own (minimisation.md §4.1: name, e-mail, phone, account ids): a
/// request-engine identity, a primary key (an account or record id), or a field under one of these data categories.</summary>
public static class DirectIdentifiers
{
    public static readonly IReadOnlyList<string> Categories =
    [
        "user.name", "user.contact.email", "user.contact.phone_number", "user.contact.fax_number", "user.contact.address.street",
        "user.unique_id", "user.government_id", "user.account.username", "user.financial.bank_account", "user.financial.credit_card",
        "user.device.device_id", "user.device.ip_address", "user.device.cookie_id", "user.health_and_medical.record_id",
        "user.health_and_medical.insurance_beneficiary_id", "user.biometric", "user.authorization.credentials",
    ];

    public static bool Is(IEnumerable<string> dataCategories, bool identity, bool primaryKey) =>
        identity || primaryKey || dataCategories.Any(c => Categories.Any(d => c == d || c.StartsWith(d + ".", StringComparison.Ordinal)));
}
