using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Consent;
using Dataward.Domain;
using Dataward.Domain.Consent;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Shredding;

/// <summary>Destroy the data key of the person named by <c>subject</c> (an e-mail address or customer id, as the consent
/// ledger and requests know them), saying why.</summary>
public sealed record SubjectKeyDestroyRequest(string? Subject = null, string? Reason = null);

/// <summary>What a destruction did: the keys destroyed now (none when they already were, or the person had none) and
/// how many had been destroyed before. The person appears by keyed hash only.</summary>
public sealed record SubjectKeysDestroyed(string SubjectHash, IReadOnlyList<string> KeysDestroyed, int KeysDestroyedBefore);

/// <summary>Crypto-shredding (minimisation.md §5, MIN017): what Dataward keeps about a person (request packages, consent
/// evidence, breach subject lists) is sealed with AES-256-GCM under that person's own data key, wrapped by the key ring.
/// Destroying the key makes every copy of those values unreadable, backups included, while the ciphertext stays where
/// it is. Clear keys live only in this scoped instance's memory and are zeroed when the scope ends or the key is
/// destroyed. Values written before crypto-shredding (key-ring ciphertext) still decrypt.</summary>
public sealed class SubjectKeys(DatawardDbContext db, KeyRing keyRing, AuditTrail audit, TimeProvider time) : IDisposable
{
    public const string DestroyedAction = "subject_keys.destroyed";
    private const int MaxReason = 500;
    private const int Chunk = 500;
    // Four parameters a row stay under SQLite's oldest limit of 999 per statement.
    private const int CreateChunk = 200;
    private readonly Dictionary<string, byte[]> keysById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> liveKeyIds = new(StringComparer.Ordinal);

    /// <summary>The person's keyed hash: the consent ledger's, so a person is one key whichever capability saw them.</summary>
    public string HashSubject(string subject) => keyRing.Hash(ConsentRules.NormaliseSubject(subject), ConsentService.SubjectHashPurpose);

    /// <summary>How the audit trail names a person whose keys were destroyed: by keyed hash, never by identifier.</summary>
    public static string Reference(string subjectHash) => $"subject:{subjectHash}";

    /// <summary>Seals <paramref name="plaintext"/> under the person's live data key, creating it on first use. Inside a
    /// caller's transaction the new key commits with it.</summary>
    public async Task<string> EncryptForAsync(string subjectHash, string plaintext, string purpose, CancellationToken cancellationToken = default)
    {
        var (id, key) = await LiveKeyAsync(subjectHash, cancellationToken);
        return SubjectCipher.Seal(key, id, plaintext, purpose);
    }

    /// <summary>The plaintext of a value sealed under a subject key, or of a value from before crypto-shredding (key-ring
    /// ciphertext with the same purpose). MIN017: a destroyed key throws <see cref="SubjectKeyDestroyedException"/>.</summary>
    public async Task<string> DecryptAsync(string value, string purpose, CancellationToken cancellationToken = default)
    {
        if (!SubjectCipher.TryKeyId(value, out var keyId))
        {
            return keyRing.Decrypt(value, purpose);
        }
        return SubjectCipher.Open(await KeyAsync(keyId, cancellationToken), value, purpose);
    }

    /// <summary>As <see cref="DecryptAsync"/>, but null when the value's key was destroyed.</summary>
    public async Task<string?> DecryptOrNullAsync(string value, string purpose, CancellationToken cancellationToken = default)
    {
        try
        {
            return await DecryptAsync(value, purpose, cancellationToken);
        }
        catch (SubjectKeyDestroyedException)
        {
            return null;
        }
    }

    /// <summary>Unwraps in one query the keys that the given sealed values name, before decrypting many of them.</summary>
    public async Task PrefetchAsync(IEnumerable<string?> values, CancellationToken cancellationToken = default)
    {
        var ids = values.Select(v => SubjectCipher.TryKeyId(v, out var id) ? id : null).OfType<string>()
            .Where(id => !keysById.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var chunk in ids.Chunk(Chunk))
        {
            var rows = await db.Set<SubjectKey>().AsNoTracking().Where(k => chunk.Contains(k.Id) && k.KeyEncrypted != null)
                .Select(k => new { k.Id, k.KeyEncrypted }).ToListAsync(cancellationToken);
            foreach (var row in rows)
            {
                keysById[row.Id] = Unwrap(row.Id, row.KeyEncrypted!);
            }
        }
    }

    /// <summary>Finds or creates in a few queries per hundred people the live keys of many people, before sealing a value
    /// for each (a breach's list of affected people).</summary>
    public async Task PrefetchLiveAsync(IEnumerable<string> subjectHashes, CancellationToken cancellationToken = default)
    {
        var hashes = subjectHashes.Where(h => !liveKeyIds.ContainsKey(h)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var chunk in hashes.Chunk(CreateChunk))
        {
            await LoadLiveAsync(chunk, cancellationToken);
            var missing = chunk.Where(h => !liveKeyIds.ContainsKey(h)).ToList();
            if (missing.Count > 0)
            {
                await CreateAsync(missing, cancellationToken);
                await LoadLiveAsync(missing, cancellationToken);
            }
        }
    }

    private async Task LoadLiveAsync(IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        var rows = await db.Set<SubjectKey>().AsNoTracking().Where(k => hashes.Contains(k.SubjectHash) && k.DestroyedAt == null && k.KeyEncrypted != null)
            .Select(k => new { k.Id, k.SubjectHash, k.KeyEncrypted }).ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            keysById[row.Id] = Unwrap(row.Id, row.KeyEncrypted!);
            liveKeyIds[row.SubjectHash] = row.Id;
        }
    }

    /// <summary>MIN017: destroys the person's data key on a DPO's or administrator's word (the endpoint's policy).</summary>
    public async Task<Outcome<SubjectKeysDestroyed>> DestroyAsync(SubjectKeyDestroyRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (ConsentSubjects.ValidateSubject(request.Subject) is { } invalid)
        {
            violations.Add(invalid);
        }
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > MaxReason)
        {
            violations.Add(new Violation("reason", $"Say why the person's data is shredded (up to {MaxReason} characters), e.g. the erasure request's reference.", "MIN017"));
        }
        if (violations.Count > 0)
        {
            return Outcome<SubjectKeysDestroyed>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var hash = HashSubject(request.Subject!);
        var sqlite = db.Database.IsSqlite();
        var own = db.Database.CurrentTransaction is null;
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            if (sqlite)
            {
                // The wrapped key must not linger in the file's free pages, where a copy of the file and the master key would find it.
                await db.Database.ExecuteSqlRawAsync("PRAGMA secure_delete = ON;", cancellationToken);
            }
            SubjectKeysDestroyed destroyed;
            await using (var transaction = own ? await db.Database.BeginTransactionAsync(cancellationToken) : null)
            {
                destroyed = await DestroyByHashAsync(hash, actor, request.Reason!.Trim(), cancellationToken);
                if (transaction is not null)
                {
                    await transaction.CommitAsync(cancellationToken);
                }
            }
            if (sqlite)
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA secure_delete = OFF;", cancellationToken);
            }
            if (sqlite && own)
            {
                // The write-ahead log still holds the page with the wrapped key: copy it back and empty the log.
                await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken);
            }
            return Outcome<SubjectKeysDestroyed>.Success(destroyed);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>MIN017: drops the wrapped key of every live key of the person, keeping the rows, and audits the person
    /// (by hash), the key ids, the actor and the reason; the audit entry carries the time. Joins a caller's transaction
    /// (the consent ledger's erasure, an erasure request). Destroying again destroys nothing and writes nothing.</summary>
    internal async Task<SubjectKeysDestroyed> DestroyByHashAsync(string subjectHash, string actor, string reason, CancellationToken cancellationToken)
    {
        var keys = await db.Set<SubjectKey>().AsNoTracking().Where(k => k.SubjectHash == subjectHash)
            .Select(k => new { k.Id, k.DestroyedAt }).ToListAsync(cancellationToken);
        var live = keys.Where(k => k.DestroyedAt is null).Select(k => k.Id).Order(StringComparer.Ordinal).ToList();
        if (live.Count > 0)
        {
            var now = time.GetUtcNow();
            await db.Set<SubjectKey>().Where(k => live.Contains(k.Id) && k.DestroyedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(k => k.KeyEncrypted, (string?)null).SetProperty(k => k.DestroyedAt, now)
                    .SetProperty(k => k.DestroyedBy, actor).SetProperty(k => k.DestroyReason, reason), cancellationToken);
            await audit.RecordAsync(actor, DestroyedAction, Reference(subjectHash), new JsonObject
            {
                ["subjectHash"] = subjectHash,
                ["keyIds"] = new JsonArray([.. live.Select(id => (JsonNode?)id)]),
                ["reason"] = reason,
            }, cancellationToken);
            foreach (var id in live)
            {
                Forget(id);
            }
            liveKeyIds.Remove(subjectHash);
        }
        return new SubjectKeysDestroyed(subjectHash, live, keys.Count - live.Count);
    }

    public void Dispose()
    {
        foreach (var key in keysById.Values)
        {
            CryptographicOperations.ZeroMemory(key);
        }
        keysById.Clear();
        liveKeyIds.Clear();
    }

    private async Task<(string Id, byte[] Key)> LiveKeyAsync(string subjectHash, CancellationToken cancellationToken)
    {
        if (liveKeyIds.TryGetValue(subjectHash, out var known) && keysById.TryGetValue(known, out var cached))
        {
            return (known, cached);
        }
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var row = await db.Set<SubjectKey>().AsNoTracking().Where(k => k.SubjectHash == subjectHash && k.DestroyedAt == null && k.KeyEncrypted != null)
                .Select(k => new { k.Id, k.KeyEncrypted }).FirstOrDefaultAsync(cancellationToken);
            if (row is not null)
            {
                var key = keysById[row.Id] = Unwrap(row.Id, row.KeyEncrypted!);
                liveKeyIds[subjectHash] = row.Id;
                return (row.Id, key);
            }
            await CreateAsync([subjectHash], cancellationToken);
        }
        throw new InvalidOperationException("A subject key could not be created: it was destroyed as fast as it was made.");
    }

    // Two writers may create a person's first key at once. A unique violation would abort the caller's whole transaction
    // on PostgreSQL, so the loser's INSERT does nothing instead and it reads the winner's key.
    private async Task CreateAsync(IReadOnlyList<string> subjectHashes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        object createdAt = db.Database.IsSqlite() ? now.UtcTicks : now;
        var values = new List<string>(subjectHashes.Count);
        var parameters = new List<object>(subjectHashes.Count * 4);
        foreach (var hash in subjectHashes)
        {
            var id = Guid.CreateVersion7().ToString("N");
            var secret = RandomNumberGenerator.GetBytes(32);
            try
            {
                var p = parameters.Count;
                values.Add($"({{{p}}}, {{{p + 1}}}, {{{p + 2}}}, {{{p + 3}}})");
                parameters.AddRange([id, hash, keyRing.Encrypt(Convert.ToBase64String(secret), WrapPurpose(id)), createdAt]);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
        // Only parameter placeholders are joined into the statement; every value travels as a parameter.
        var sql = "INSERT INTO subject_keys (id, subject_hash, key_encrypted, created_at) VALUES " + string.Join(", ", values) + " ON CONFLICT DO NOTHING";
        await db.Database.ExecuteSqlRawAsync(sql, parameters, cancellationToken);
    }

    private async Task<byte[]> KeyAsync(string keyId, CancellationToken cancellationToken)
    {
        if (keysById.TryGetValue(keyId, out var cached))
        {
            return cached;
        }
        var row = await db.Set<SubjectKey>().AsNoTracking().Where(k => k.Id == keyId)
            .Select(k => new { k.KeyEncrypted, k.DestroyedAt }).FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            throw new CryptographicException($"Subject key {keyId} does not exist.");
        }
        if (row.KeyEncrypted is null)
        {
            throw new SubjectKeyDestroyedException(keyId, row.DestroyedAt);
        }
        return keysById[keyId] = Unwrap(keyId, row.KeyEncrypted);
    }

    private byte[] Unwrap(string keyId, string wrapped) => Convert.FromBase64String(keyRing.Decrypt(wrapped, WrapPurpose(keyId)));

    private void Forget(string keyId)
    {
        if (keysById.Remove(keyId, out var key))
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    // The key id is bound to the wrapped key, so a wrapped key copied to another row does not unwrap.
    private static string WrapPurpose(string keyId) => $"subject.key:{keyId}";
}
