using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Domain;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Platform.Security;

/// <summary>A token as lists show it: never the secret.</summary>
public sealed record ApiTokenSummary(Guid Id, string Name, string Role, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, string CreatedBy);

/// <summary>A token just created: the only time its secret exists outside the caller's hands.</summary>
public sealed record IssuedApiToken(ApiTokenSummary Token, string Secret);

/// <summary>Issues, lists and revokes API tokens; issue and revocation are audited. <see cref="ApiTokenCache.CheckAsync"/>
/// checks a presented secret.</summary>
public sealed class ApiTokens(DatawardDbContext db, AuditTrail audit, TimeProvider time, ApiTokenCache cache)
{
    public const int MaxNameLength = 100;

    public async Task<Outcome<IssuedApiToken>> CreateAsync(string name, string role, TimeSpan? lifetime, string actor,
        CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > MaxNameLength)
        {
            return Outcome<IssuedApiToken>.Invalid("name", $"Give the token a name of 1 to {MaxNameLength} characters.");
        }
        if (StaffRoles.Parse(role) is not { } canonicalRole)
        {
            return Outcome<IssuedApiToken>.Invalid("role", $"Choose one of {string.Join(", ", StaffRoles.All)}.");
        }
        if (lifetime is { } span && (span <= TimeSpan.Zero || span > TimeSpan.FromDays(3650)))
        {
            return Outcome<IssuedApiToken>.Invalid("expires", "A token lives between one minute and ten years.");
        }
        var now = time.GetUtcNow();
        var secret = ApiToken.NewSecret();
        var token = new ApiToken
        {
            Name = name,
            Role = canonicalRole,
            SecretHash = ApiToken.HashSecret(secret),
            CreatedAt = now,
            ExpiresAt = lifetime is { } l ? now + l : null,
            CreatedBy = actor,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.ApiTokens.Add(token);
        await audit.RecordAsync(actor, "tokens.created", AuditActor.Token(token.Id),
            new JsonObject { ["role"] = canonicalRole, ["expiresAt"] = token.ExpiresAt?.ToString("O") }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<IssuedApiToken>.Success(new IssuedApiToken(Summarise(token), secret));
    }

    public async Task<Outcome<ApiTokenSummary>> RevokeAsync(Guid id, string actor, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null)
        {
            return Outcome<ApiTokenSummary>.NotFound("id", "No token has this id.");
        }
        if (token.RevokedAt is not null)
        {
            return Outcome<ApiTokenSummary>.Conflict("id", "This token is already revoked.");
        }
        token.RevokedAt = time.GetUtcNow();
        await audit.RecordAsync(actor, "tokens.revoked", AuditActor.Token(token.Id), null, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        cache.Forget();
        return Outcome<ApiTokenSummary>.Success(Summarise(token));
    }

    public async Task<IReadOnlyList<ApiTokenSummary>> ListAsync(CancellationToken cancellationToken = default) =>
        (await db.ApiTokens.AsNoTracking().OrderBy(t => t.Name).ToListAsync(cancellationToken)).Select(Summarise).ToList();

    private static ApiTokenSummary Summarise(ApiToken t) =>
        new(t.Id, t.Name, t.Role, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.CreatedBy);
}
