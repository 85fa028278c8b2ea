using System.Security.Cryptography;
using Dataward.Platform.Security;
using Dataward.Platform.Storage;
using Microsoft.Extensions.Configuration;

namespace Dataward.Tests.Platform;

public sealed class KeyRingTests
{
    [Fact]
    public void Values_round_trip_and_each_encryption_differs()
    {
        var ring = new KeyRing([KeyRing.NewKey()]);
        var one = ring.Encrypt("ana@example.com", "email.to");
        var two = ring.Encrypt("ana@example.com", "email.to");
        one.ShouldNotBe(two);
        one.ShouldNotContain("ana");
        ring.Decrypt(one, "email.to").ShouldBe("ana@example.com");
    }

    [Fact]
    public void An_altered_value_or_a_value_moved_to_another_purpose_does_not_decrypt()
    {
        var ring = new KeyRing([KeyRing.NewKey()]);
        var sealedValue = ring.Encrypt("ana@example.com", "email.to");
        Should.Throw<CryptographicException>(() => ring.Decrypt(sealedValue, "consent.subject"));
        var bytes = Convert.FromBase64String(sealedValue.Split('.')[2]);
        bytes[^1] ^= 1;
        Should.Throw<CryptographicException>(() => ring.Decrypt($"v1.{ring.ActiveKeyId}.{Convert.ToBase64String(bytes)}", "email.to"));
    }

    [Fact]
    public void Binary_values_round_trip_under_their_purpose_and_a_rotated_ring_still_reads_them()
    {
        var old = KeyRing.NewKey();
        var ring = new KeyRing([old]);
        byte[] plain = [1, 2, 3, 250, 0, 7];
        var sealedBytes = ring.Encrypt(plain, "retention.ledger");
        sealedBytes.ShouldNotBe(ring.Encrypt(plain, "retention.ledger"));
        ring.Decrypt(sealedBytes, "retention.ledger").ShouldBe(plain);
        new KeyRing([KeyRing.NewKey(), old]).Decrypt(sealedBytes, "retention.ledger").ShouldBe(plain);
        ring.Decrypt(ring.Encrypt([], "retention.ledger"), "retention.ledger").ShouldBeEmpty();
        Should.Throw<CryptographicException>(() => ring.Decrypt(sealedBytes, "other"));
        var altered = sealedBytes.ToArray();
        altered[^3] ^= 1;
        Should.Throw<CryptographicException>(() => ring.Decrypt(altered, "retention.ledger"));
        Should.Throw<CryptographicException>(() => ring.Decrypt(sealedBytes.AsSpan(0, 20), "retention.ledger"));
        Should.Throw<CryptographicException>(() => new KeyRing([KeyRing.NewKey()]).Decrypt(sealedBytes, "retention.ledger"));
    }

    [Fact]
    public void A_rotated_ring_encrypts_with_the_new_key_and_still_reads_and_hashes_with_the_old()
    {
        var old = KeyRing.NewKey();
        var before = new KeyRing([old]);
        var sealedValue = before.Encrypt("ana@example.com", "email.to");
        var after = new KeyRing([KeyRing.NewKey(), old]);
        after.Decrypt(sealedValue, "email.to").ShouldBe("ana@example.com");
        after.ActiveKeyId.ShouldNotBe(before.ActiveKeyId);
        after.Encrypt("x", "email.to").ShouldContain($".{after.ActiveKeyId}.");
        after.Hash("ana@example.com", "consent.subject").ShouldBe(before.Hash("ana@example.com", "consent.subject"));
        after.Hash("ana@example.com", "other").ShouldNotBe(after.Hash("ana@example.com", "consent.subject"));
        Should.Throw<CryptographicException>(() => new KeyRing([KeyRing.NewKey()]).Decrypt(sealedValue, "email.to"));
    }

    [Fact]
    public void A_keyed_hash_stays_the_HMAC_of_the_value_under_the_derived_key_whatever_was_hashed_before_on_any_thread()
    {
        // Stored lookups (consent subjects, holds) depend on these bytes: the per-thread HMACs must give what a one-shot
        // HMAC gives, across rings, across more uses than a thread keeps, for short and long values, on many threads.
        static string Expected(byte[] master, string value, string purpose) => Convert.ToHexStringLower(HMACSHA256.HashData(
            HKDF.DeriveKey(HashAlgorithmName.SHA256, master, 32, info: System.Text.Encoding.UTF8.GetBytes($"dataward:hash:{purpose}")),
            System.Text.Encoding.UTF8.GetBytes(value)));
        var masters = new[] { KeyRing.NewKey(), KeyRing.NewKey() };
        var rings = masters.Select(m => new KeyRing([m])).ToArray();
        string[] purposes = ["consent.subject", "consent.receipt", "hold", "a", "b", "c"];
        string[] values = ["ana@example.com", "", "zoë@example.org", new string('x', 700), string.Concat(Enumerable.Repeat("ü", 300))];
        Parallel.For(0, 8, _ =>
        {
            for (var round = 0; round < 3; round++)
            {
                foreach (var purpose in purposes)
                {
                    for (var r = 0; r < rings.Length; r++)
                    {
                        foreach (var value in values)
                        {
                            rings[r].Hash(value, purpose).ShouldBe(Expected(masters[r], value, purpose));
                        }
                    }
                }
            }
        });
    }

    [Theory]
    [InlineData("not base64!", "not base64")]
    [InlineData("c2hvcnQ=", "must be 32 bytes")]
    public void A_bad_master_key_is_refused_naming_the_setting(string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Security:MasterKey"] = value }).Build();
        var error = Should.Throw<ConfigurationException>(() => KeyRing.FromConfiguration(configuration, new StorageSettings(StorageProvider.Sqlite, "Data Source=x.db", true)));
        error.Message.ShouldContain("Security:MasterKey");
        error.Message.ShouldContain(message);
    }

    [Fact]
    public void Postgres_without_a_master_key_is_refused_and_sqlite_keeps_one_beside_its_file()
    {
        var empty = new ConfigurationBuilder().Build();
        Should.Throw<ConfigurationException>(() => KeyRing.FromConfiguration(empty, new StorageSettings(StorageProvider.Postgres, "Host=x", false)))
            .Message.ShouldContain("Security:MasterKey");
        var folder = Directory.CreateTempSubdirectory("dataward-key-").FullName;
        var sqlite = new StorageSettings(StorageProvider.Sqlite, $"Data Source={Path.Combine(folder, "d.db")}", true);
        var first = KeyRing.FromConfiguration(empty, sqlite);
        var second = KeyRing.FromConfiguration(empty, sqlite);
        second.ActiveKeyId.ShouldBe(first.ActiveKeyId);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(Path.Combine(folder, "master.key")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
