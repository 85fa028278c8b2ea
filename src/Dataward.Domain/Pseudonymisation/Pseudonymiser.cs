using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Dataward.Domain.Pseudonymisation;

/// <summary>Keyed pseudonyms for one key domain and version (minimisation.md §3.3): <c>pd:{domain}:{version}:{mac}</c>,
/// the MAC being HMAC-SHA256 of the normalised value, base64url, never truncated. One instance holds one clear key in
/// memory for one operation (an export, an API call); it is safe to share between threads. Dispose it to release the
/// keyed HMAC state.</summary>
public sealed class Pseudonymiser : IDisposable
{
    /// <summary>The HMAC-SHA256 output in base64url without padding.</summary>
    public const int MacChars = 43;
    private const int StackBytes = 512;
    private readonly byte[] key;
    private readonly string prefix;
    // One keyed HMAC kept open and reused: re-keying is most of the cost of the one-shot HMACSHA256.HashData on short
    // inputs (2.4 times slower in docs/benchmarks.md). A thread takes it, or makes another when it is in use.
    private IncrementalHash? idle;
    private bool disposed;

    public Pseudonymiser(string domain, int version, byte[] key)
    {
        if (!KeyDomains.IsValid(domain))
        {
            throw new ArgumentException($"'{domain}' is not a key domain name.", nameof(domain));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        // MIN009: a pseudonym is keyed, and the key is a full 256-bit secret.
        if (key.Length != 32)
        {
            throw new ArgumentException("A pseudonymisation key is 32 bytes.", nameof(key));
        }
        this.key = key.ToArray();
        Domain = domain;
        Version = version;
        prefix = PseudonymFormat.Prefix(domain, version);
    }

    public string Domain { get; }

    public int Version { get; }

    /// <summary>The number of characters <see cref="TryPseudonymise"/> writes.</summary>
    public int Length => prefix.Length + MacChars;

    /// <summary>The pseudonym of <paramref name="value"/> after the normalisation rules of its kind.</summary>
    public string Pseudonymise(string value, IdentifierKind kind = IdentifierKind.Text)
    {
        var normalised = Normalisation.Normalise(value, kind);
        return string.Create(Length, (this, normalised), static (destination, state) =>
            state.Item1.Write(state.normalised.AsSpan(), destination));
    }

    /// <summary>Writes the pseudonym of an already normalised value; false when <paramref name="destination"/> is too short.</summary>
    public bool TryPseudonymise(ReadOnlySpan<char> normalised, Span<char> destination, out int written)
    {
        if (destination.Length < Length)
        {
            written = 0;
            return false;
        }
        Write(normalised, destination);
        written = Length;
        return true;
    }

    /// <summary>Whether <paramref name="pseudonym"/> is the pseudonym of <paramref name="value"/> under this key, in constant time.</summary>
    public bool Matches(string pseudonym, string value, IdentifierKind kind = IdentifierKind.Text) =>
        CryptographicOperations.FixedTimeEquals(Bytes(Pseudonymise(value, kind)), Bytes(pseudonym));

    private static ReadOnlySpan<byte> Bytes(string text) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(text.AsSpan());

    public void Dispose()
    {
        disposed = true;
        Interlocked.Exchange(ref idle, null)?.Dispose();
        CryptographicOperations.ZeroMemory(key);
    }

    private void Write(ReadOnlySpan<char> normalised, Span<char> destination)
    {
        prefix.AsSpan().CopyTo(destination);
        var max = Encoding.UTF8.GetMaxByteCount(normalised.Length);
        byte[]? rented = max > StackBytes ? ArrayPool<byte>.Shared.Rent(max) : null;
        try
        {
            Span<byte> input = rented ?? stackalloc byte[StackBytes];
            var count = Encoding.UTF8.GetBytes(normalised, input);
            Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
            ObjectDisposedException.ThrowIf(disposed, this);
            var hmac = Interlocked.Exchange(ref idle, null) ?? IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hmac.AppendData(input[..count]);
            hmac.TryGetHashAndReset(mac, out _);
            if (Interlocked.CompareExchange(ref idle, hmac, null) is not null || disposed)
            {
                hmac.Dispose();
            }
            Base64Url.EncodeToChars(mac, destination[prefix.Length..]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }
}

/// <summary>The stored form of a pseudonym, <c>pd:{domain}:{version}:{mac}</c>, so its key version is always known (MIN011).</summary>
public static partial class PseudonymFormat
{
    public static string Prefix(string domain, int version) => $"pd:{domain}:{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}:";

    /// <summary>The domain and key version a pseudonym names; false for anything that is not a pseudonym.</summary>
    public static bool TryParse(string? pseudonym, out string domain, out int version)
    {
        var match = Shape().Match(pseudonym ?? "");
        domain = match.Success ? match.Groups[1].Value : "";
        version = match.Success && int.TryParse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
        return match.Success && version > 0 && KeyDomains.IsValid(domain);
    }

    [GeneratedRegex("^pd:([a-z0-9][a-z0-9._-]{1,79}):([1-9][0-9]{0,8}):[A-Za-z0-9_-]{43}$")]
    private static partial Regex Shape();
}

/// <summary>Key domains (EDPB 01/2025): one per purpose or sharing agreement, so pseudonyms made for one recipient do
/// not link to another's (MIN010).</summary>
public static partial class KeyDomains
{
    public const string Rule = "2 to 80 lower-case letters, digits, dots, hyphens and underscores, starting with a letter or digit (e.g. analytics.churn)";

    public static bool IsValid(string? domain) => domain is not null && Pattern().IsMatch(domain);

    /// <summary>The key domain of a sharing agreement.</summary>
    public static string ForAgreement(string reference) => "sharing." + reference.ToLowerInvariant();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,79}$")]
    private static partial Regex Pattern();
}

/// <summary>MIN009: the only pseudonymisation function is a keyed one. Names of unkeyed hashes are recognised so the
/// refusal can say why.</summary>
public static class PseudonymisationMethods
{
    public const string HmacSha256 = "hmac-sha256";

    public static readonly IReadOnlySet<string> Unkeyed = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "sha256", "sha-256", "sha512", "sha-512", "sha1", "sha-1", "md5", "hash", "sha3-256", "blake2", "blake3", "crc32",
    };

    /// <summary>Null when <paramref name="method"/> is acceptable (absent means HMAC-SHA256), else the violation.</summary>
    public static Violation? Check(string? method, string field = "method") => method switch
    {
        null or "" or HmacSha256 => null,
        _ when Unkeyed.Contains(method.Trim()) => new Violation(field,
            $"'{method}' is an unkeyed hash: anyone can recompute it over a list of likely values, so it is refused for pseudonymisation. Use {HmacSha256}.", "MIN009"),
        _ => new Violation(field, $"Use {HmacSha256}, the keyed pseudonymisation function.", "MIN009"),
    };
}
