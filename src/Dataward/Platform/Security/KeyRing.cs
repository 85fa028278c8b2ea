using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Dataward.Platform.Storage;

namespace Dataward.Platform.Security;

/// <summary>Encryption of personal data and secrets at rest (AES-256-GCM) and keyed hashes for looking them up
/// (HMAC-SHA256), under master keys from configuration. The first key encrypts; every key decrypts, so keys rotate
/// by putting a new one first. Each use ("email.to", "consent.subject") gets its own derived key, and the purpose is
/// bound to the ciphertext, so a value cannot be moved to another column and still decrypt.</summary>
public sealed class KeyRing
{
    private const string Version = "v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const byte BinaryVersion = 1;
    private const int KeyIdBytes = 8;
    private const int BinaryHeader = 1 + KeyIdBytes;
    private readonly IReadOnlyList<(string Id, byte[] Key)> keys;
    private readonly ConcurrentDictionary<(string KeyId, string Use, string Purpose), byte[]> derived = new();

    public KeyRing(IReadOnlyList<byte[]> masterKeys)
    {
        if (masterKeys.Count == 0 || masterKeys.Any(k => k.Length != 32))
        {
            throw new ArgumentException("A key ring needs one or more 32-byte keys.", nameof(masterKeys));
        }
        keys = masterKeys.Select(k => (Convert.ToHexStringLower(SHA256.HashData(k))[..8], k)).ToList();
    }

    /// <summary>The id of the key new values are encrypted with.</summary>
    public string ActiveKeyId => keys[0].Id;

    public string Encrypt(string plaintext, string purpose)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceBytes + plain.Length + TagBytes];
        Seal(keys[0], plain, output, purpose);
        return $"{Version}.{keys[0].Id}.{Convert.ToBase64String(output)}";
    }

    /// <summary>The plaintext, or <see cref="CryptographicException"/> if the value was altered, belongs to another
    /// purpose, or was encrypted under a key no longer in the ring.</summary>
    public string Decrypt(string ciphertext, string purpose)
    {
        var parts = ciphertext.Split('.', 3);
        if (parts.Length != 3 || parts[0] != Version)
        {
            throw new CryptographicException("Not a Dataward ciphertext.");
        }
        return Encoding.UTF8.GetString(Open(Master(parts[1]), Convert.FromBase64String(parts[2]), purpose));
    }

    /// <summary>Binary data encrypted as <see cref="Encrypt(string, string)"/> encrypts text, kept binary: a version
    /// byte, the key id's 8 characters, then the nonce, the ciphertext and the tag.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plain, string purpose)
    {
        var output = new byte[BinaryHeader + NonceBytes + plain.Length + TagBytes];
        output[0] = BinaryVersion;
        Encoding.ASCII.GetBytes(keys[0].Id, output.AsSpan(1, KeyIdBytes));
        Seal(keys[0], plain, output.AsSpan(BinaryHeader), purpose);
        return output;
    }

    /// <summary>The plaintext of <see cref="Encrypt(ReadOnlySpan{byte}, string)"/>, or <see cref="CryptographicException"/>
    /// as <see cref="Decrypt(string, string)"/> throws it.</summary>
    public byte[] Decrypt(ReadOnlySpan<byte> data, string purpose)
    {
        if (data.Length < BinaryHeader || data[0] != BinaryVersion)
        {
            throw new CryptographicException("Not a Dataward binary ciphertext.");
        }
        return Open(Master(Encoding.ASCII.GetString(data.Slice(1, KeyIdBytes))), data[BinaryHeader..], purpose);
    }

    private (string Id, byte[] Key) Master(string id)
    {
        var master = keys.FirstOrDefault(k => k.Id == id);
        return master.Key is null ? throw new CryptographicException($"Key {id} is not in the key ring.") : master;
    }

    // AES-256-GCM under the purpose's derived key, the purpose bound as associated data: nonce, ciphertext, tag.
    private void Seal((string Id, byte[] Key) master, ReadOnlySpan<byte> plain, Span<byte> output, string purpose)
    {
        var nonce = output[..NonceBytes];
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Derive(master, "encrypt", purpose), TagBytes);
        aes.Encrypt(nonce, plain, output.Slice(NonceBytes, plain.Length), output.Slice(NonceBytes + plain.Length, TagBytes), Encoding.UTF8.GetBytes(purpose));
    }

    private byte[] Open((string Id, byte[] Key) master, ReadOnlySpan<byte> data, string purpose)
    {
        if (data.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("The ciphertext is truncated.");
        }
        var plain = new byte[data.Length - NonceBytes - TagBytes];
        using var aes = new AesGcm(Derive(master, "encrypt", purpose), TagBytes);
        aes.Decrypt(data[..NonceBytes], data.Slice(NonceBytes, plain.Length), data[^TagBytes..], plain, Encoding.UTF8.GetBytes(purpose));
        return plain;
    }

    /// <summary>A keyed hash for equality lookups. It uses the oldest key in the ring, so rotating the encryption key
    /// does not move every lookup; retiring that key means re-hashing.</summary>
    public string Hash(string value, string purpose)
    {
        var key = Derive(keys[^1], "hash", purpose);
        // Every consent check hashes its subject: the value is encoded on the stack (short ones) and hashed by an HMAC
        // this thread keeps keyed, instead of a one-shot HMAC that sets up its key pads on every call.
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var bytes = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(value, bytes);
            Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
            var hmac = KeyedHmacs.For(key);
            hmac.AppendData(bytes[..written]);
            hmac.GetHashAndReset(hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // A derived key depends only on its master key, use and purpose (a few constants), and deriving it cost more than
    // the hash it keys: every consent check hashes its subject (docs/benchmarks.md). Callers never change the bytes.
    private byte[] Derive((string Id, byte[] Key) master, string use, string purpose) =>
        derived.GetOrAdd((master.Id, use, purpose), static (k, key) =>
            HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, info: Encoding.UTF8.GetBytes($"dataward:{k.Use}:{k.Purpose}")), master.Key);

    /// <summary>HMAC-SHA256 instances kept keyed, per thread (an instance is not thread-safe), by the derived key they
    /// hold: a key ring's derived keys are kept (<see cref="Derive"/>), so the same array comes back for the same use.
    /// A few per thread: the uses hashed (subjects, receipts, holds) are a handful of constants.</summary>
    private static class KeyedHmacs
    {
        private const int Slots = 4;
        [ThreadStatic] private static (byte[] Key, IncrementalHash Hmac)[]? kept;
        [ThreadStatic] private static int next;

        public static IncrementalHash For(byte[] key)
        {
            kept ??= new (byte[], IncrementalHash)[Slots];
            foreach (var (keptKey, hmac) in kept)
            {
                if (ReferenceEquals(keptKey, key))
                {
                    return hmac;
                }
            }
            var slot = next;
            next = (next + 1) % Slots;
            kept[slot].Hmac?.Dispose();
            var created = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            kept[slot] = (key, created);
            return created;
        }
    }

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    /// <summary>Keys from <c>Security:MasterKey</c> (base64, 32 bytes) and <c>Security:PreviousMasterKeys</c> (comma-separated,
    /// newest first). Without a configured key, SQLite keeps one in <c>master.key</c> beside the database file, created on
    /// first use; PostgreSQL, shared by many instances, requires the setting.</summary>
    public static KeyRing FromConfiguration(IConfiguration configuration, StorageSettings storage)
    {
        var configured = configuration["Security:MasterKey"];
        byte[] active;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            active = Parse(configured, "Security:MasterKey");
        }
        else if (storage.SqliteFilePath() is { } database)
        {
            active = LocalKey(Path.Combine(Path.GetDirectoryName(database)!, "master.key"));
        }
        else
        {
            throw new ConfigurationException("Security:MasterKey",
                "is required with PostgreSQL: 32 random bytes in base64 (e.g. `openssl rand -base64 32`), the same on every instance.");
        }
        var previous = (configuration["Security:PreviousMasterKeys"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(k => Parse(k, "Security:PreviousMasterKeys"));
        return new KeyRing([active, .. previous]);
    }

    private static byte[] Parse(string base64, string key)
    {
        try
        {
            var bytes = Convert.FromBase64String(base64.Trim());
            return bytes.Length == 32 ? bytes : throw new ConfigurationException(key, $"must be 32 bytes; it is {bytes.Length}.");
        }
        catch (FormatException)
        {
            throw new ConfigurationException(key, "is not base64.");
        }
    }

    private static byte[] LocalKey(string path)
    {
        if (File.Exists(path))
        {
            return Parse(File.ReadAllText(path), path);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = NewKey();
        // Readable by this user only: the key decrypts everything personal in the database beside it.
        File.WriteAllText(path, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return key;
    }
}
