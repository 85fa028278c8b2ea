using Microsoft.EntityFrameworkCore;

namespace Dataward.Notices;

/// <summary>A privacy notice: a draft until published, then immutable with a version number people's consents cite.</summary>
public sealed class NoticeRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Null while a draft; 1, 2, 3... in publication order.</summary>
    public int? Version { get; set; }
    public required string Language { get; set; }
    public required string Title { get; set; }
    /// <summary>Markdown.</summary>
    public required string Body { get; set; }
    /// <summary>A substantial change asks people to renew consent for the purposes it covers.</summary>
    public bool Substantial { get; set; }
    /// <summary>Consent purpose keys the notice covers, as JSON.</summary>
    public string Purposes { get; set; } = "[]";
    /// <summary>For a substantial change: the purposes whose wording changed, as JSON (CNS018); null means all it covers.</summary>
    public string? ChangedPurposes { get; set; }
    /// <summary>Until when consents given under earlier versions still count (optional, set by the DPO).</summary>
    public DateTimeOffset? RenewBy { get; set; }
    public DateTimeOffset? EffectiveAt { get; set; }
    public DateTimeOffset? PublishedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    internal static void Configure(ModelBuilder builder) => builder.Entity<NoticeRecord>(e =>
    {
        e.ToTable("notices");
        e.HasKey(n => n.Id);
        e.Property(n => n.Id).HasColumnName("id").ValueGeneratedNever();
        e.Property(n => n.Version).HasColumnName("version");
        e.Property(n => n.Language).HasColumnName("language").HasMaxLength(20);
        e.Property(n => n.Title).HasColumnName("title").HasMaxLength(300);
        e.Property(n => n.Body).HasColumnName("body");
        e.Property(n => n.Substantial).HasColumnName("substantial");
        e.Property(n => n.Purposes).HasColumnName("purposes");
        e.Property(n => n.ChangedPurposes).HasColumnName("changed_purposes");
        e.Property(n => n.RenewBy).HasColumnName("renew_by");
        e.Property(n => n.EffectiveAt).HasColumnName("effective_at");
        e.Property(n => n.PublishedAt).HasColumnName("published_at");
        e.Property(n => n.CreatedAt).HasColumnName("created_at");
        e.HasIndex(n => n.Version).IsUnique();
    });
}
