using System.Security.Cryptography;
using System.Text;

namespace Dataward.Platform.Security;

/// <summary>A machine credential for the REST API. The secret is shown once; only its SHA-256 is kept.</summary>
public sealed class ApiToken
{
    public const string SecretPrefix = "dw_";

    public Guid Id { get; set; } = Guid.CreateVersion7();

    public required string Name { get; set; }

    public required string Role { get; set; }

    /// <summary>Lower-case hex SHA-256 of the secret; a 256-bit random secret needs no salt or stretching.</summary>
    public required string SecretHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Who created it: an audit actor reference such as <c>user:{id}</c> or <c>cli</c>.</summary>
    public required string CreatedBy { get; set; }

    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);

    public static string NewSecret() => SecretPrefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string HashSecret(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
