using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dataward.Platform.Security;

namespace Dataward.Consent;

/// <summary>What a valid withdrawal link names.</summary>
public sealed record WithdrawalLink(Guid EventId, string Purpose, DateTimeOffset ExpiresAt);

/// <summary>CNS007: one-click withdrawal links for one event and one purpose, signed with the key ring (HMAC over the
/// event, the subject's hash, the purpose and the expiry) so they cannot be forged or bent to another purpose.</summary>
public sealed class WithdrawalLinks(KeyRing keys, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(90);
    public const string WithdrawUse = "consent.withdraw-link";
    /// <summary>Links a parent follows to confirm a child's consent (CNS016): the same form, another key domain.</summary>
    public const string ParentalUse = "consent.parental-link";

    public string Create(Guid eventId, string subjectHash, string purpose, string use = WithdrawUse)
    {
        var expires = time.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds();
        var payload = $"{eventId:N}.{purpose}.{expires.ToString(CultureInfo.InvariantCulture)}";
        return $"{payload}.{Sign(payload, subjectHash, use)}";
    }

    /// <summary>The link's content if its signature holds for <paramref name="subjectHashOf"/>'s subject; null if it was
    /// altered. Expiry is reported, not refused here: the caller decides what an expired link may still do.</summary>
    public WithdrawalLink? Read(string? token, Func<Guid, string?> subjectHashOf, string use = WithdrawUse)
    {
        var parts = (token ?? "").Split('.');
        if (parts.Length != 4 || !Guid.TryParseExact(parts[0], "N", out var eventId)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || subjectHashOf(eventId) is not { } subjectHash)
        {
            return null;
        }
        var payload = $"{parts[0]}.{parts[1]}.{parts[2]}";
        var expected = Encoding.ASCII.GetBytes(Sign(payload, subjectHash, use));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[3]))
            ? new WithdrawalLink(eventId, parts[1], DateTimeOffset.FromUnixTimeSeconds(expires))
            : null;
    }

    public bool HasExpired(WithdrawalLink link) => time.GetUtcNow() > link.ExpiresAt;

    private string Sign(string payload, string subjectHash, string use) => keys.Hash($"{payload}.{subjectHash}", use);
}
