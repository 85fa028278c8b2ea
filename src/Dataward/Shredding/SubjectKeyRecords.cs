using Microsoft.EntityFrameworkCore;

namespace Dataward.Shredding;

/// <summary>One person's data key (minimisation.md §5): 256 random bits wrapped by the key ring, found by the consent
/// ledger's keyed hash of the person's identifier. Destroying it drops the wrapped key and keeps the row, so values
/// sealed under it fail with "key destroyed" rather than "unknown key" (MIN017). A person who comes back after that
/// gets a new key; at most one key per person is live (a unique index on the hash of live keys).</summary>
public sealed class SubjectKey
{
    /// <summary>32 hex digits, named in every value sealed under the key.</summary>
    public required string Id { get; set; }
    public required string SubjectHash { get; set; }
    /// <summary>The key, base64, encrypted by the key ring and bound to <see cref="Id"/>; null once destroyed.</summary>
    public string? KeyEncrypted { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DestroyedAt { get; set; }
    public string? DestroyedBy { get; set; }
    public string? DestroyReason { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<SubjectKey>(e =>
    {
        e.ToTable("subject_keys");
        e.HasKey(k => k.Id);
        e.Property(k => k.Id).HasColumnName("id").HasMaxLength(32).ValueGeneratedNever();
        e.Property(k => k.SubjectHash).HasColumnName("subject_hash").HasMaxLength(64);
        e.Property(k => k.KeyEncrypted).HasColumnName("key_encrypted").HasMaxLength(400);
        e.Property(k => k.CreatedAt).HasColumnName("created_at");
        e.Property(k => k.DestroyedAt).HasColumnName("destroyed_at");
        e.Property(k => k.DestroyedBy).HasColumnName("destroyed_by").HasMaxLength(120);
        e.Property(k => k.DestroyReason).HasColumnName("destroy_reason").HasMaxLength(500);
        // The same SQL on both providers: two writers creating a person's first key cannot both win.
        e.HasIndex(k => k.SubjectHash, "ix_subject_keys_live").IsUnique().HasFilter("\"destroyed_at\" IS NULL");
        e.HasIndex(k => k.SubjectHash, "ix_subject_keys_subject_hash");
    });
}
