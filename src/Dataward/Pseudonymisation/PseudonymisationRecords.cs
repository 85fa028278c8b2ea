using Microsoft.EntityFrameworkCore;

namespace Dataward.Pseudonymisation;

/// <summary>A key domain: the purpose (an analysis, a sharing agreement) whose pseudonyms must not link to any other's.</summary>
public sealed class PseudonymDomain
{
    public required string Domain { get; set; }
    public required string Purpose { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
}

/// <summary>One version of a domain's key: 256 random bits wrapped by the key ring, bound to its domain and version.
/// Destroying it drops the wrapped key and keeps the row, so a pseudonym of that version is a "destroyed" error rather
/// than an unknown one (MIN011). Never stored in a connected database or an export (MIN012).</summary>
public sealed class PseudonymKey
{
    public required string Domain { get; set; }
    public int Version { get; set; }
    /// <summary>The key, base64, encrypted by the key ring; null once destroyed.</summary>
    public string? KeyEncrypted { get; set; }
    /// <summary>The normalisation rules' version in force when the key was made.</summary>
    public int Normalisation { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset? DestroyedAt { get; set; }
    public string? DestroyedBy { get; set; }
    public string? DestroyReason { get; set; }
}

/// <summary>A tokenised value: a random token and the value encrypted under the key ring (AES-256-GCM), readable only
/// through an audited detokenisation by an authorised role (MIN013).</summary>
public sealed class VaultEntry
{
    public required string Token { get; set; }
    public required string Domain { get; set; }
    public required string ValueEncrypted { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }

    internal static void Configure(ModelBuilder builder)
    {
        builder.Entity<PseudonymDomain>(e =>
        {
            e.ToTable("pseudonym_domains");
            e.HasKey(d => d.Domain);
            e.Property(d => d.Domain).HasColumnName("domain").HasMaxLength(80);
            e.Property(d => d.Purpose).HasColumnName("purpose").HasMaxLength(500);
            e.Property(d => d.CreatedAt).HasColumnName("created_at");
            e.Property(d => d.CreatedBy).HasColumnName("created_by").HasMaxLength(120);
        });
        builder.Entity<PseudonymKey>(e =>
        {
            e.ToTable("pseudonym_keys");
            e.HasKey(k => new { k.Domain, k.Version });
            e.Property(k => k.Domain).HasColumnName("domain").HasMaxLength(80);
            e.Property(k => k.Version).HasColumnName("version");
            e.Property(k => k.KeyEncrypted).HasColumnName("key_encrypted").HasMaxLength(400);
            e.Property(k => k.Normalisation).HasColumnName("normalisation");
            e.Property(k => k.CreatedAt).HasColumnName("created_at");
            e.Property(k => k.CreatedBy).HasColumnName("created_by").HasMaxLength(120);
            e.Property(k => k.DestroyedAt).HasColumnName("destroyed_at");
            e.Property(k => k.DestroyedBy).HasColumnName("destroyed_by").HasMaxLength(120);
            e.Property(k => k.DestroyReason).HasColumnName("destroy_reason").HasMaxLength(500);
            e.HasOne<PseudonymDomain>().WithMany().HasForeignKey(k => k.Domain).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<VaultEntry>(e =>
        {
            e.ToTable("pseudonym_vault");
            e.HasKey(v => v.Token);
            e.Property(v => v.Token).HasColumnName("token").HasMaxLength(120);
            e.Property(v => v.Domain).HasColumnName("domain").HasMaxLength(80);
            e.Property(v => v.ValueEncrypted).HasColumnName("value_encrypted");
            e.Property(v => v.CreatedAt).HasColumnName("created_at");
            e.Property(v => v.CreatedBy).HasColumnName("created_by").HasMaxLength(120);
            e.HasIndex(v => v.Domain);
        });
    }
}
