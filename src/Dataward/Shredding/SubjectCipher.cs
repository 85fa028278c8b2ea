using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Dataward.Shredding;

/// <summary>AES-256-GCM under one person's data key (minimisation.md §5). A value reads <c>sk1.{keyId}.{base64}</c>:
/// the prefix tells readers it is not a key-ring value (<c>v1.</c>) or clear JSON written before crypto-shredding, and
/// the key id finds the data key. The key id and the purpose are bound to the ciphertext as associated data.</summary>
public static class SubjectCipher
{
    public const string Prefix = "sk1.";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    public static bool IsSealed([NotNullWhen(true)] string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Seal(ReadOnlySpan<byte> key, string keyId, string plaintext, string purpose)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = output.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceBytes, plain.Length), output.AsSpan(NonceBytes + plain.Length), Associated(keyId, purpose));
        return $"{Prefix}{keyId}.{Convert.ToBase64String(output)}";
    }

    /// <summary>The key id a sealed value names, or false for anything else.</summary>
    public static bool TryKeyId(string? value, [NotNullWhen(true)] out string? keyId)
    {
        keyId = null;
        if (!IsSealed(value))
        {
            return false;
        }
        var end = value.IndexOf('.', Prefix.Length);
        if (end <= Prefix.Length)
        {
            return false;
        }
        keyId = value[Prefix.Length..end];
        return true;
    }

    /// <summary>The plaintext, or <see cref="CryptographicException"/> if the value was altered, moved to another purpose
    /// or sealed under another key.</summary>
    public static string Open(ReadOnlySpan<byte> key, string value, string purpose)
    {
        if (!TryKeyId(value, out var keyId))
        {
            throw new CryptographicException("Not a value sealed under a subject key.");
        }
        byte[] data;
        try
        {
            data = Convert.FromBase64String(value[(Prefix.Length + keyId.Length + 1)..]);
        }
        catch (FormatException e)
        {
            throw new CryptographicException("The sealed value is damaged.", e);
        }
        if (data.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException("The sealed value is truncated.");
        }
        var plain = new byte[data.Length - NonceBytes - TagBytes];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(data.AsSpan(0, NonceBytes), data.AsSpan(NonceBytes, plain.Length), data.AsSpan(NonceBytes + plain.Length), plain,
            Associated(keyId, purpose));
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] Associated(string keyId, string purpose) => Encoding.UTF8.GetBytes($"{keyId}\n{purpose}");
}

/// <summary>MIN017: the value was sealed under a person's data key that has since been destroyed (crypto-shredded); the
/// ciphertext remains but nobody can read it. Distinct from a damaged value or a missing key-ring key.</summary>
public sealed class SubjectKeyDestroyedException(string keyId, DateTimeOffset? destroyedAt)
    : CryptographicException($"key destroyed: subject key {keyId} was destroyed{(destroyedAt is { } at ? $" on {at:yyyy-MM-dd}" : "")}, so this value can no longer be read (MIN017).")
{
    public string KeyId { get; } = keyId;
    public DateTimeOffset? DestroyedAt { get; } = destroyedAt;
}
