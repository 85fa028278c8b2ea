using System.Security.Cryptography;
using System.Text.Json;
using Dataward.Consent;
using Microsoft.AspNetCore.DataProtection;

namespace Dataward.Portal;

/// <summary>The privacy centre's short session: after a one-time code, a cookie (HttpOnly, SameSite=Lax, Secure on
/// HTTPS, protected by ASP.NET Data Protection, whose keys live in the database so any instance can read it) carries
/// the verified address and its expiry for 30 minutes. Nothing about the session is stored on the server.</summary>
public sealed class PortalSession(IDataProtectionProvider protection, ConsentService consent, TimeProvider time)
{
    public const string CookieName = "dataward.privacy";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);
    private const string CookiePath = "/privacy";
    private static readonly object CacheKey = new();
    private readonly IDataProtector protector = protection.CreateProtector("Dataward.Portal.Session");

    private sealed record Payload(string Email, long ExpiresAt);

    /// <summary>Starts a session for <paramref name="email"/>, which a code has just verified.</summary>
    public VerifiedSubject Start(HttpContext context, string email)
    {
        var expires = time.GetUtcNow() + Lifetime;
        var subject = new VerifiedSubject(email, consent.HashSubject(email), expires);
        var value = protector.Protect(JsonSerializer.Serialize(new Payload(email, expires.ToUnixTimeSeconds())));
        context.Response.Cookies.Append(CookieName, value, Options(context, Lifetime));
        context.Items[CacheKey] = subject;
        return subject;
    }

    /// <summary>The verified person behind this request, or null (no cookie, an altered one, or an expired one).</summary>
    public VerifiedSubject? Current(HttpContext context)
    {
        if (context.Items.TryGetValue(CacheKey, out var cached))
        {
            return cached as VerifiedSubject;
        }
        var subject = Read(context.Request.Cookies[CookieName]);
        context.Items[CacheKey] = subject;
        return subject;
    }

    public void End(HttpContext context)
    {
        context.Response.Cookies.Delete(CookieName, Options(context, null));
        context.Items[CacheKey] = null;
    }

    private VerifiedSubject? Read(string? cookie)
    {
        if (string.IsNullOrEmpty(cookie) || cookie.Length > 4096)
        {
            return null;
        }
        try
        {
            var payload = JsonSerializer.Deserialize<Payload>(protector.Unprotect(cookie));
            // The expiry inside the protected value decides, not the browser's: a copied cookie dies on time too.
            var expires = payload is null ? DateTimeOffset.MinValue : DateTimeOffset.FromUnixTimeSeconds(payload.ExpiresAt);
            return payload is { Email.Length: > 0 } && expires > time.GetUtcNow()
                ? new VerifiedSubject(payload.Email, consent.HashSubject(payload.Email), expires)
                : null;
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static CookieOptions Options(HttpContext context, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Secure = context.Request.IsHttps,
        SameSite = SameSiteMode.Lax,
        Path = CookiePath,
        MaxAge = maxAge,
        IsEssential = true,
    };
}
