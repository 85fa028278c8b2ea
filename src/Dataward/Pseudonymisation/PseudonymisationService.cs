using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dataward.Audit;
using Dataward.Connections;
using Dataward.Connectors.Stores;
using Dataward.Domain;
using Dataward.Domain.Pseudonymisation;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dataward.Pseudonymisation;

public sealed record KeyDomainRequest(string? Domain = null, string? Purpose = null);

public sealed record DestroyKeyRequest(string? Reason = null);

/// <summary>A key version as shown: never the key. <c>status</c> is <c>active</c> (new pseudonyms), <c>retained</c>
/// (older pseudonyms still verifiable) or <c>destroyed</c>.</summary>
public sealed record KeyVersionView(int Version, string Status, int Normalisation, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? DestroyedAt,
    string? DestroyedBy, string? DestroyReason);

public sealed record KeyDomainView(string Domain, string Purpose, int? ActiveVersion, DateTimeOffset CreatedAt, IReadOnlyList<KeyVersionView> Versions);

/// <summary>Values to pseudonymise under a domain's active key, or under an older <c>version</c> to find a person in
/// data made with it. <c>kind</c>: <c>text</c> (default), <c>email</c>, <c>postcode</c> or <c>phone</c>.</summary>
public sealed record PseudonymsRequest(string? Domain = null, IReadOnlyList<string>? Values = null, int? Version = null, string? Method = null, string? Kind = null);

public sealed record PseudonymsResult(string Domain, int Version, IReadOnlyList<string> Pseudonyms);

public sealed record MatchRequest(string? Pseudonym = null, string? Value = null, string? Kind = null);

public sealed record MatchResult(string Domain, int Version, bool Matches);

public sealed record TokeniseRequest(string? Domain = null, IReadOnlyList<string>? Values = null);

public sealed record TokeniseResult(string Domain, IReadOnlyList<string> Tokens);

public sealed record DetokeniseRequest(string? Token = null, string? Reason = null);

public sealed record DetokeniseResult(string Token, string Domain, string Value);

/// <summary>A k-anonymity report over a connected table: <c>collection</c> as <c>dataset:collection</c>, the
/// quasi-identifier fields, target <c>k</c> (default 5) and whether to group on the §4.1 generalised values.</summary>
public sealed record KAnonymityRequest(string? Collection = null, IReadOnlyList<string>? QuasiIdentifiers = null, int? K = null, bool? Generalise = null);

/// <summary>The report and what it was made over; counts only (MIN015).</summary>
public sealed record KAnonymityView(string Source, bool Generalised, KAnonymityReport Report);

/// <summary>The pseudonymisation toolkit (minimisation.md §3-4): key domains with versioned, rotatable keys wrapped by
/// the key ring; keyed pseudonyms; a tokenisation vault with audited detokenisation; k-anonymity reports. Other
/// capabilities (sharing, retention, requests) open a <see cref="Pseudonymiser"/> through <see cref="OpenAsync"/>.</summary>
public sealed class PseudonymisationService(DatawardDbContext db, KeyRing keyRing, AuditTrail audit, ConnectionService connections, TimeProvider time)
{
    public const int MaxValues = 1000;
    public const int MaxValueLength = 1000;
    private const int TokenBytes = 16;

    public static readonly IReadOnlyDictionary<string, IdentifierKind> Kinds = new Dictionary<string, IdentifierKind>(StringComparer.Ordinal)
    {
        ["text"] = IdentifierKind.Text,
        ["email"] = IdentifierKind.Email,
        ["postcode"] = IdentifierKind.Postcode,
        ["phone"] = IdentifierKind.Phone,
    };

    public async Task<IReadOnlyList<KeyDomainView>> ListAsync(CancellationToken cancellationToken = default)
    {
        var domains = await db.Set<PseudonymDomain>().AsNoTracking().OrderBy(d => d.Domain).ToListAsync(cancellationToken);
        var versions = (await db.Set<PseudonymKey>().AsNoTracking().ToListAsync(cancellationToken)).ToLookup(k => k.Domain);
        return [.. domains.Select(d => View(d, versions[d.Domain]))];
    }

    public async Task<KeyDomainView?> GetAsync(string domain, CancellationToken cancellationToken = default)
    {
        var record = await db.Set<PseudonymDomain>().AsNoTracking().FirstOrDefaultAsync(d => d.Domain == domain, cancellationToken);
        return record is null ? null
            : View(record, await db.Set<PseudonymKey>().AsNoTracking().Where(k => k.Domain == domain).ToListAsync(cancellationToken));
    }

    /// <summary>A new key domain with its first key. Inside a caller's transaction (a new sharing agreement) it joins it.</summary>
    public async Task<Outcome<KeyDomainView>> CreateDomainAsync(KeyDomainRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (!KeyDomains.IsValid(request.Domain))
        {
            violations.Add(new Violation("domain", $"Use {KeyDomains.Rule}."));
        }
        if (string.IsNullOrWhiteSpace(request.Purpose) || request.Purpose.Length > 500)
        {
            violations.Add(new Violation("purpose", "Say what the domain's pseudonyms are for (up to 500 characters): one domain per purpose (MIN010).", "MIN010"));
        }
        if (violations.Count > 0)
        {
            return Outcome<KeyDomainView>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await OwnTransactionAsync(cancellationToken);
        if (await db.Set<PseudonymDomain>().AnyAsync(d => d.Domain == request.Domain, cancellationToken))
        {
            return Outcome<KeyDomainView>.Conflict("domain", $"Key domain '{request.Domain}' exists; rotate its key instead.");
        }
        var now = time.GetUtcNow();
        var domain = new PseudonymDomain { Domain = request.Domain!, Purpose = request.Purpose!.Trim(), CreatedAt = now, CreatedBy = actor };
        db.Add(domain);
        var key = NewKey(domain.Domain, 1, actor, now);
        db.Add(key);
        await audit.RecordAsync(actor, "pseudonymisation.key_created", Target(domain.Domain), new JsonObject { ["domain"] = domain.Domain, ["version"] = 1 },
            cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return Outcome<KeyDomainView>.Success(View(domain, [key]));
    }

    /// <summary>A new key version for new pseudonyms; older versions stay verifiable until destroyed.</summary>
    public async Task<Outcome<KeyDomainView>> RotateAsync(string domain, string actor, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var record = await db.Set<PseudonymDomain>().FirstOrDefaultAsync(d => d.Domain == domain, cancellationToken);
            if (record is null)
            {
                return Outcome<KeyDomainView>.NotFound("domain", "No key domain has this name.");
            }
            var keys = await db.Set<PseudonymKey>().Where(k => k.Domain == domain).ToListAsync(cancellationToken);
            var key = NewKey(domain, keys.Max(k => k.Version) + 1, actor, time.GetUtcNow());
            db.Add(key);
            try
            {
                await audit.RecordAsync(actor, "pseudonymisation.key_rotated", Target(domain), new JsonObject { ["domain"] = domain, ["version"] = key.Version },
                    cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return Outcome<KeyDomainView>.Success(View(record, [.. keys, key]));
            }
            catch (DbUpdateException e) when (attempt < 5 && DatabaseErrors.IsUniqueViolation(e))
            {
                // Two rotations took the same version number: the loser takes the next.
                await transaction.RollbackAsync(cancellationToken);
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>Destroys a retained key version: its pseudonyms can no longer be verified or recomputed by anyone.
    /// The active version cannot be destroyed (rotate first), so new pseudonyms always have a key.</summary>
    public async Task<Outcome<KeyDomainView>> DestroyAsync(string domain, int version, DestroyKeyRequest request, string actor,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            return Outcome<KeyDomainView>.Invalid("reason", "Say why the key is destroyed (up to 500 characters), e.g. no data depends on it any more.");
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.Set<PseudonymDomain>().FirstOrDefaultAsync(d => d.Domain == domain, cancellationToken);
        if (record is null)
        {
            return Outcome<KeyDomainView>.NotFound("domain", "No key domain has this name.");
        }
        var keys = await db.Set<PseudonymKey>().Where(k => k.Domain == domain).ToListAsync(cancellationToken);
        var key = keys.FirstOrDefault(k => k.Version == version);
        if (key is null)
        {
            return Outcome<KeyDomainView>.NotFound("version", $"Key domain '{domain}' has no version {version}.");
        }
        if (key.DestroyedAt is not null)
        {
            return Outcome<KeyDomainView>.Conflict("version", $"Version {version} was destroyed on {key.DestroyedAt:yyyy-MM-dd}.", "MIN011");
        }
        if (Active(keys)?.Version == version)
        {
            return Outcome<KeyDomainView>.Conflict("version", $"Version {version} makes the domain's new pseudonyms; rotate the key first, then destroy this version.");
        }
        key.KeyEncrypted = null;
        key.DestroyedAt = time.GetUtcNow();
        key.DestroyedBy = actor;
        key.DestroyReason = request.Reason.Trim();
        await audit.RecordAsync(actor, "pseudonymisation.key_destroyed", Target(domain), new JsonObject { ["domain"] = domain, ["version"] = version },
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<KeyDomainView>.Success(View(record, keys));
    }

    /// <summary>A pseudonymiser for <paramref name="domain"/>: its active key, or <paramref name="version"/>. An unknown
    /// or destroyed version is an explicit error, never a fallback to another key (MIN011).</summary>
    public async Task<Outcome<Pseudonymiser>> OpenAsync(string domain, int? version = null, CancellationToken cancellationToken = default)
    {
        var keys = await db.Set<PseudonymKey>().AsNoTracking().Where(k => k.Domain == domain).ToListAsync(cancellationToken);
        if (keys.Count == 0)
        {
            return Outcome<Pseudonymiser>.NotFound("domain", $"No key domain is named '{Shorten(domain)}'.");
        }
        var key = version is { } wanted ? keys.FirstOrDefault(k => k.Version == wanted) : Active(keys);
        if (key is null)
        {
            return version is null
                ? Outcome<Pseudonymiser>.Conflict("domain", $"Every key of '{domain}' is destroyed; rotate to make a new one.", "MIN011")
                : Outcome<Pseudonymiser>.Invalid("version", $"Key domain '{domain}' has no version {version}; its versions are {string.Join(", ", keys.Select(k => k.Version).Order())}.", "MIN011");
        }
        if (key.KeyEncrypted is null)
        {
            return Outcome<Pseudonymiser>.Conflict("version", $"Version {key.Version} of '{domain}' was destroyed on {key.DestroyedAt:yyyy-MM-dd}: its pseudonyms can no longer be computed or verified.", "MIN011");
        }
        var bytes = Convert.FromBase64String(keyRing.Decrypt(key.KeyEncrypted, KeyPurpose(domain, key.Version)));
        try
        {
            return Outcome<Pseudonymiser>.Success(new Pseudonymiser(domain, key.Version, bytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Computes pseudonyms through the API, e.g. to find one person in pseudonymised data. Whoever may do
    /// this can link values to pseudonyms, so it is reserved to key managers and audited with counts only.</summary>
    public async Task<Outcome<PseudonymsResult>> PseudonymiseAsync(PseudonymsRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (PseudonymisationMethods.Check(request.Method) is { } unkeyed)
        {
            violations.Add(unkeyed);
        }
        if (!KeyDomains.IsValid(request.Domain))
        {
            violations.Add(new Violation("domain", $"Use {KeyDomains.Rule}."));
        }
        violations.AddRange(CheckValues(request.Values));
        if (!TryKind(request.Kind, out var kind))
        {
            violations.Add(new Violation("kind", $"Use one of {string.Join(", ", Kinds.Keys)}."));
        }
        if (violations.Count > 0)
        {
            return Outcome<PseudonymsResult>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var opened = await OpenAsync(request.Domain!, request.Version, cancellationToken);
        if (!opened.Succeeded)
        {
            return Outcome<PseudonymsResult>.Fail(opened.Failure!.Value, [.. opened.Violations]);
        }
        using var pseudonymiser = opened.Value!;
        var pseudonyms = request.Values!.Select(v => pseudonymiser.Pseudonymise(v, kind)).ToList();
        await audit.RecordAsync(actor, "pseudonymisation.pseudonyms_computed", Target(pseudonymiser.Domain),
            new JsonObject { ["domain"] = pseudonymiser.Domain, ["version"] = pseudonymiser.Version, ["count"] = pseudonyms.Count }, cancellationToken);
        return Outcome<PseudonymsResult>.Success(new PseudonymsResult(pseudonymiser.Domain, pseudonymiser.Version, pseudonyms));
    }

    /// <summary>Whether a pseudonym (which names its domain and key version) is the pseudonym of a value.</summary>
    public async Task<Outcome<MatchResult>> MatchAsync(MatchRequest request, string actor, CancellationToken cancellationToken = default)
    {
        if (!PseudonymFormat.TryParse(request.Pseudonym, out var domain, out var version))
        {
            return Outcome<MatchResult>.Invalid("pseudonym", "A pseudonym reads pd:{domain}:{version}:{mac}.", "MIN011");
        }
        if (request.Value is null || request.Value.Length > MaxValueLength)
        {
            return Outcome<MatchResult>.Invalid("value", $"Give the value to compare, up to {MaxValueLength} characters.");
        }
        if (!TryKind(request.Kind, out var kind))
        {
            return Outcome<MatchResult>.Invalid("kind", $"Use one of {string.Join(", ", Kinds.Keys)}.");
        }
        var opened = await OpenAsync(domain, version, cancellationToken);
        if (!opened.Succeeded)
        {
            return Outcome<MatchResult>.Fail(opened.Failure!.Value, [.. opened.Violations]);
        }
        using var pseudonymiser = opened.Value!;
        var matches = pseudonymiser.Matches(request.Pseudonym!, request.Value, kind);
        await audit.RecordAsync(actor, "pseudonymisation.pseudonym_matched", Target(domain),
            new JsonObject { ["domain"] = domain, ["version"] = version, ["matches"] = matches }, cancellationToken);
        return Outcome<MatchResult>.Success(new MatchResult(domain, version, matches));
    }

    /// <summary>Replaces each value by a new random 128-bit token (fully randomised: the same value twice gives two
    /// tokens) and keeps the value encrypted in the vault.</summary>
    public async Task<Outcome<TokeniseResult>> TokeniseAsync(TokeniseRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (!KeyDomains.IsValid(request.Domain))
        {
            violations.Add(new Violation("domain", $"Use {KeyDomains.Rule}."));
        }
        violations.AddRange(CheckValues(request.Values));
        if (violations.Count > 0)
        {
            return Outcome<TokeniseResult>.Fail(FailureKind.Invalid, [.. violations]);
        }
        var domain = request.Domain!;
        var now = time.GetUtcNow();
        var tokens = new List<string>(request.Values!.Count);
        foreach (var value in request.Values)
        {
            var token = $"tk:{domain}:{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes))}";
            db.Add(new VaultEntry { Token = token, Domain = domain, ValueEncrypted = keyRing.Encrypt(value, VaultPurpose(domain)), CreatedAt = now, CreatedBy = actor });
            tokens.Add(token);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await audit.RecordAsync(actor, "vault.tokenised", $"vault:{domain}", new JsonObject { ["domain"] = domain, ["count"] = tokens.Count }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<TokeniseResult>.Success(new TokeniseResult(domain, tokens));
    }

    /// <summary>MIN013: the value behind a token, for an authorised role only (the endpoint's policy), with a reason;
    /// every call is audited with who, when, the token's domain and the reason, in the same transaction as the read.</summary>
    public async Task<Outcome<DetokeniseResult>> DetokeniseAsync(DetokeniseRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var violations = new List<Violation>();
        if (string.IsNullOrWhiteSpace(request.Token) || request.Token.Length > 120)
        {
            violations.Add(new Violation("token", "Give the token, as tokenisation returned it."));
        }
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            violations.Add(new Violation("reason", "Say why the value is needed (up to 500 characters): every detokenisation is recorded with its reason.", "MIN013"));
        }
        if (violations.Count > 0)
        {
            return Outcome<DetokeniseResult>.Fail(FailureKind.Invalid, [.. violations]);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var entry = await db.Set<VaultEntry>().AsNoTracking().FirstOrDefaultAsync(v => v.Token == request.Token, cancellationToken);
        if (entry is null)
        {
            return Outcome<DetokeniseResult>.NotFound("token", "The vault holds no such token.");
        }
        var value = keyRing.Decrypt(entry.ValueEncrypted, VaultPurpose(entry.Domain));
        await audit.RecordAsync(actor, "vault.detokenised", $"vault:{entry.Domain}",
            new JsonObject { ["domain"] = entry.Domain, ["token"] = entry.Token, ["reason"] = request.Reason!.Trim() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome<DetokeniseResult>.Success(new DetokeniseResult(entry.Token, entry.Domain, value));
    }

    /// <summary>The k-anonymity of a connected table on the named quasi-identifiers, streaming its rows.</summary>
    public async Task<Outcome<KAnonymityView>> KAnonymityAsync(KAnonymityRequest request, string actor, CancellationToken cancellationToken = default)
    {
        var k = request.K ?? KAnonymityCounter.DefaultK;
        if (k is < 2 or > 1000)
        {
            return Outcome<KAnonymityView>.Invalid("k", "A target k from 2 to 1,000 (default 5).");
        }
        if (request.QuasiIdentifiers is not { Count: > 0 and <= 50 } names || names.Any(string.IsNullOrWhiteSpace))
        {
            return Outcome<KAnonymityView>.Invalid("quasiIdentifiers", "Name 1 to 50 fields that together could single a person out (e.g. postcode, birth_date, gender).");
        }
        var opened = await ConnectedCollection.OpenAsync(connections, request.Collection, "collection", cancellationToken);
        if (!opened.Succeeded)
        {
            return Outcome<KAnonymityView>.Fail(opened.Failure!.Value, [.. opened.Violations]);
        }
        await using var collection = opened.Value!;
        var fields = new List<FieldProfile>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (collection.Field(name) is not { } field)
            {
                return Outcome<KAnonymityView>.Invalid("quasiIdentifiers", $"'{Shorten(name)}' is not a field of {collection.Address}.");
            }
            fields.Add(field);
        }
        var generalise = request.Generalise ?? false;
        var counter = new KAnonymityCounter([.. fields.Select(f => f.Name)]);
        var values = new string?[fields.Count];
        try
        {
            await foreach (var row in collection.ReadAsync(counter.QuasiIdentifiers, cancellationToken))
            {
                for (var i = 0; i < fields.Count; i++)
                {
                    var value = row[fields[i].Name];
                    values[i] = generalise ? Generalisation.Apply(value, fields[i].GeneralisationKind) : value is null ? null : StoreValues.Canonical(value);
                }
                counter.Add(values);
            }
        }
        catch (Exception e) when (ConnectedCollection.IsStoreFailure(e))
        {
            return Outcome<KAnonymityView>.Conflict("collection", $"The database behind '{collection.Dataset.FidesKey}' could not be read: {e.Message}");
        }
        var report = counter.Report(k);
        await audit.RecordAsync(actor, "pseudonymisation.k_anonymity_reported", $"collection:{collection.Address}",
            new JsonObject { ["records"] = report.Records, ["k"] = k, ["smallestGroup"] = report.SmallestGroup, ["groupsBelowK"] = report.GroupsBelowK }, cancellationToken);
        return Outcome<KAnonymityView>.Success(new KAnonymityView(collection.Address, generalise, report));
    }

    public static bool TryKind(string? kind, out IdentifierKind parsed)
    {
        parsed = IdentifierKind.Text;
        return kind is null || Kinds.TryGetValue(kind, out parsed);
    }

    private static IEnumerable<Violation> CheckValues(IReadOnlyList<string>? values)
    {
        if (values is not { Count: > 0 and <= MaxValues })
        {
            yield return new Violation("values", $"Give 1 to {MaxValues:N0} values.");
        }
        else if (values.Any(v => v is null || v.Length > MaxValueLength))
        {
            yield return new Violation("values", $"Each value is text of at most {MaxValueLength:N0} characters.");
        }
    }

    private PseudonymKey NewKey(string domain, int version, string actor, DateTimeOffset now)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        try
        {
            return new PseudonymKey
            {
                Domain = domain,
                Version = version,
                Normalisation = Normalisation.Version,
                CreatedAt = now,
                CreatedBy = actor,
                KeyEncrypted = keyRing.Encrypt(Convert.ToBase64String(secret), KeyPurpose(domain, version)),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    // The domain and version are bound to the wrapped key, so a key row copied to another domain does not decrypt.
    private static string KeyPurpose(string domain, int version) => $"pseudonym.key:{domain}:{version}";

    private static string VaultPurpose(string domain) => $"vault:{domain}";

    private static string Target(string domain) => $"pseudonym-domain:{domain}";

    private static PseudonymKey? Active(IEnumerable<PseudonymKey> keys) =>
        keys.Where(k => k.DestroyedAt is null).MaxBy(k => k.Version);

    private static KeyDomainView View(PseudonymDomain domain, IEnumerable<PseudonymKey> keys)
    {
        var list = keys.OrderBy(k => k.Version).ToList();
        var active = Active(list)?.Version;
        return new KeyDomainView(domain.Domain, domain.Purpose, active, domain.CreatedAt, [.. list.Select(k => new KeyVersionView(k.Version,
            k.DestroyedAt is not null ? "destroyed" : k.Version == active ? "active" : "retained", k.Normalisation, k.CreatedAt, k.CreatedBy,
            k.DestroyedAt, k.DestroyedBy, k.DestroyReason))]);
    }

    private async Task<IDbContextTransaction?> OwnTransactionAsync(CancellationToken cancellationToken) =>
        db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "…" : text;
}
