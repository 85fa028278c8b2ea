using Microsoft.EntityFrameworkCore;

namespace Dataward.Sharing;

/// <summary>A third party the organisation discloses personal data to (minimisation.md §6.1): processor, controller or
/// joint controller, its Art. 28 contract, where it processes the data and under which transfer safeguard. The register
/// activities that name it (in <c>recipients</c> or <c>jointControllers</c>) are its links; they are read from the
/// register, not copied here.</summary>
public sealed class RecipientRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    /// <summary>The name trimmed and upper-cased: unique, and what register activities are matched on.</summary>
    public required string NameKey { get; set; }
    public required string Role { get; set; }
    /// <summary>A contact at the recipient (often a person's name or address), encrypted by the key ring.</summary>
    public string? ContactEncrypted { get; set; }
    public bool ContractInPlace { get; set; }
    public DateOnly? ContractDate { get; set; }
    /// <summary>JSON <see cref="Domain.Sharing.Art28Clauses"/>.</summary>
    public string Art28Clauses { get; set; } = "{}";
    public string SubProcessors { get; set; } = "[]";
    public string Countries { get; set; } = "[]";
    public required string TransferSafeguard { get; set; }
    public string? TraReference { get; set; }
    public DateOnly? TraDate { get; set; }
    public DateOnly ReviewDue { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; } = 1;
}

/// <summary>A sharing agreement (ICO Data Sharing Code; minimisation.md §6.2): one recipient, one purpose (a register
/// activity), one collection and the fields that may leave it, each with its treatment. New agreements are drafts
/// with no fields (MIN023); pseudonyms made under one come from its own key domain (MIN010).</summary>
public sealed class AgreementRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary><c>DSA-2026-0001</c>.</summary>
    public required string Reference { get; set; }
    public int Year { get; set; }
    public int Sequence { get; set; }
    public Guid RecipientId { get; set; }
    public Guid ActivityId { get; set; }
    public required string Dataset { get; set; }
    public required string Collection { get; set; }
    /// <summary>JSON array of <c>{field, treatment}</c>, in the agreed order.</summary>
    public string Fields { get; set; } = "[]";
    public string QuasiIdentifiers { get; set; } = "[]";
    public int K { get; set; }
    public required string Status { get; set; }
    public DateOnly? ReviewDue { get; set; }
    public bool InvolvesSale { get; set; }
    /// <summary>JSON <see cref="AgreementTerms"/>: lawful basis, retention by the recipient, security, rights handling,
    /// transparency, international transfer and parties, as written.</summary>
    public string Terms { get; set; } = "{}";
    public required string KeyDomain { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; } = 1;
}

/// <summary>One extract made under an agreement (MIN022): who, when, which agreement version, how many records, which
/// fields with which treatment, and the SHA-256 of the file as written. Never the data itself.</summary>
public sealed class ExportRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid AgreementId { get; set; }
    public required string AgreementReference { get; set; }
    public int AgreementVersion { get; set; }
    public required string Actor { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset FinishedAt { get; set; }
    public required string Format { get; set; }
    public required string Fields { get; set; }
    public long Records { get; set; }
    public long Bytes { get; set; }
    public required string Sha256 { get; set; }
    public required string Label { get; set; }
    public int? TargetK { get; set; }
    public long? SmallestGroup { get; set; }
    public string? KeyDomain { get; set; }
    public int? KeyVersion { get; set; }
    /// <summary><c>download</c> (the API) or the file name the CLI wrote (never its folder).</summary>
    public required string Destination { get; set; }
}

/// <summary>Tables of recipients, agreements and the export log.</summary>
internal static class SharingConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<RecipientRecord>(e =>
        {
            e.ToTable("sharing_recipients");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(r => r.Name).HasColumnName("name").HasMaxLength(200);
            e.Property(r => r.NameKey).HasColumnName("name_key").HasMaxLength(200);
            e.Property(r => r.Role).HasColumnName("role").HasMaxLength(20);
            e.Property(r => r.ContactEncrypted).HasColumnName("contact_encrypted");
            e.Property(r => r.ContractInPlace).HasColumnName("contract_in_place");
            e.Property(r => r.ContractDate).HasColumnName("contract_date");
            e.Property(r => r.Art28Clauses).HasColumnName("art28_clauses");
            e.Property(r => r.SubProcessors).HasColumnName("sub_processors");
            e.Property(r => r.Countries).HasColumnName("countries");
            e.Property(r => r.TransferSafeguard).HasColumnName("transfer_safeguard").HasMaxLength(20);
            e.Property(r => r.TraReference).HasColumnName("tra_reference").HasMaxLength(500);
            e.Property(r => r.TraDate).HasColumnName("tra_date");
            e.Property(r => r.ReviewDue).HasColumnName("review_due");
            e.Property(r => r.CreatedAt).HasColumnName("created_at");
            e.Property(r => r.UpdatedAt).HasColumnName("updated_at");
            e.Property(r => r.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasIndex(r => r.NameKey).IsUnique();
        });
        builder.Entity<AgreementRecord>(e =>
        {
            e.ToTable("sharing_agreements");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(a => a.Reference).HasColumnName("reference").HasMaxLength(20);
            e.Property(a => a.Year).HasColumnName("year");
            e.Property(a => a.Sequence).HasColumnName("sequence");
            e.Property(a => a.RecipientId).HasColumnName("recipient_id");
            e.Property(a => a.ActivityId).HasColumnName("activity_id");
            e.Property(a => a.Dataset).HasColumnName("dataset").HasMaxLength(200);
            e.Property(a => a.Collection).HasColumnName("collection").HasMaxLength(200);
            e.Property(a => a.Fields).HasColumnName("fields");
            e.Property(a => a.QuasiIdentifiers).HasColumnName("quasi_identifiers");
            e.Property(a => a.K).HasColumnName("k");
            e.Property(a => a.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(a => a.ReviewDue).HasColumnName("review_due");
            e.Property(a => a.InvolvesSale).HasColumnName("involves_sale");
            e.Property(a => a.Terms).HasColumnName("terms");
            e.Property(a => a.KeyDomain).HasColumnName("key_domain").HasMaxLength(80);
            e.Property(a => a.CreatedAt).HasColumnName("created_at");
            e.Property(a => a.CreatedBy).HasColumnName("created_by").HasMaxLength(120);
            e.Property(a => a.UpdatedAt).HasColumnName("updated_at");
            e.Property(a => a.Version).HasColumnName("version").IsConcurrencyToken();
            e.HasIndex(a => a.Reference).IsUnique();
            e.HasIndex(a => new { a.Year, a.Sequence }).IsUnique();
            e.HasIndex(a => a.RecipientId);
            e.HasOne<RecipientRecord>().WithMany().HasForeignKey(a => a.RecipientId).OnDelete(DeleteBehavior.Restrict);
        });
        builder.Entity<ExportRecord>(e =>
        {
            e.ToTable("sharing_exports");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(x => x.AgreementId).HasColumnName("agreement_id");
            e.Property(x => x.AgreementReference).HasColumnName("agreement_reference").HasMaxLength(20);
            e.Property(x => x.AgreementVersion).HasColumnName("agreement_version");
            e.Property(x => x.Actor).HasColumnName("actor").HasMaxLength(120);
            e.Property(x => x.StartedAt).HasColumnName("started_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.Property(x => x.Format).HasColumnName("format").HasMaxLength(10);
            e.Property(x => x.Fields).HasColumnName("fields");
            e.Property(x => x.Records).HasColumnName("records");
            e.Property(x => x.Bytes).HasColumnName("bytes");
            e.Property(x => x.Sha256).HasColumnName("sha256").HasMaxLength(64);
            e.Property(x => x.Label).HasColumnName("label").HasMaxLength(20);
            e.Property(x => x.TargetK).HasColumnName("target_k");
            e.Property(x => x.SmallestGroup).HasColumnName("smallest_group");
            e.Property(x => x.KeyDomain).HasColumnName("key_domain").HasMaxLength(80);
            e.Property(x => x.KeyVersion).HasColumnName("key_version");
            e.Property(x => x.Destination).HasColumnName("destination").HasMaxLength(260);
            e.HasIndex(x => new { x.AgreementId, x.FinishedAt });
            e.HasIndex(x => x.FinishedAt);
            e.HasOne<AgreementRecord>().WithMany().HasForeignKey(x => x.AgreementId).OnDelete(DeleteBehavior.Restrict);
        });
    }
}
