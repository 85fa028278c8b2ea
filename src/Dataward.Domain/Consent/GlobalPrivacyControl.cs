namespace Dataward.Domain.Consent;

/// <summary>CNS017: the Global Privacy Control signal (<c>Sec-GPC: 1</c>) as an objection to the sale or sharing of a
/// verified person's data (Art. 21(5): objections by automated means; 11 CCR §7025).</summary>
public static class GlobalPrivacyControl
{
    public const string Header = "Sec-GPC";
    public const string Method = "gpc";
    public const string Actor = "system:gpc";

    /// <summary>The date <c>/.well-known/gpc.json</c> reports: when this handling of the signal last changed.</summary>
    public const string LastUpdate = "2026-11-25";

    /// <summary>Only the exact value <c>1</c> expresses a preference; anything else (or no header) expresses none.</summary>
    public static bool IsSignal(string? header) => header?.Trim() == "1";

    /// <summary>Whether the signal withdraws this consent now. It acts once per person and purpose: on a sale-or-sharing
    /// consent that currently counts (given, or given and awaiting renewal) when no earlier event for it came from the
    /// signal. Once the signal has acted, the person has seen its effect, so a later <c>given</c> is their explicit
    /// choice over their browser's default and stands without asking again, however often the browser repeats it.</summary>
    public static bool ShouldWithdraw(bool saleOrSharing, string state, bool signalActedBefore) =>
        saleOrSharing && !signalActedBefore && state is ConsentStates.Given or ConsentStates.RenewalRequired;
}
