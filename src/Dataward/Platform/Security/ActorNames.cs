using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Platform.Security;

/// <summary>Turns the actor references kept in the audit trail and histories (<c>user:{id}</c>, <c>token:{id}</c>) into
/// the names staff recognise, for display to signed-in staff only; the records themselves keep references.</summary>
public sealed class ActorNames(DatawardDbContext db)
{
    public async Task<IReadOnlyDictionary<string, string>> ResolveAsync(IEnumerable<string> references, CancellationToken cancellationToken = default)
    {
        var distinct = references.Distinct().ToList();
        var userIds = Ids(distinct, "user:");
        var tokenIds = Ids(distinct, "token:");
        var users = userIds.Count == 0 ? [] : await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id))
            .Select(u => new { u.Id, u.Email }).ToListAsync(cancellationToken);
        var tokens = tokenIds.Count == 0 ? [] : await db.ApiTokens.AsNoTracking().Where(t => tokenIds.Contains(t.Id))
            .Select(t => new { t.Id, t.Name }).ToListAsync(cancellationToken);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            names[$"user:{user.Id}"] = user.Email ?? $"user:{user.Id}";
        }
        foreach (var token in tokens)
        {
            names[$"token:{token.Id}"] = $"token {token.Name}";
        }
        return names;
    }

    private static List<Guid> Ids(IEnumerable<string> references, string prefix) =>
        references.Where(r => r.StartsWith(prefix, StringComparison.Ordinal))
            .Select(r => Guid.TryParse(r[prefix.Length..], out var id) ? id : Guid.Empty)
            .Where(id => id != Guid.Empty).ToList();
}
