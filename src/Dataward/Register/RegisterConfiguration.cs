using Microsoft.EntityFrameworkCore;

namespace Dataward.Register;

/// <summary>Tables of the register: snake_case, one document column per activity version.</summary>
internal static class RegisterConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<ActivityRecord>(e =>
        {
            e.ToTable("register_activities");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(a => a.Name).HasColumnName("name").HasMaxLength(200);
            e.Property(a => a.Status).HasColumnName("status").HasMaxLength(20);
            e.Property(a => a.LawfulBasis).HasColumnName("lawful_basis").HasMaxLength(40);
            e.Property(a => a.HasSpecialCategories).HasColumnName("has_special_categories");
            e.Property(a => a.Owner).HasColumnName("owner").HasMaxLength(200);
            e.Property(a => a.Document).HasColumnName("document");
            e.Property(a => a.Version).HasColumnName("version").IsConcurrencyToken();
            e.Property(a => a.CreatedAt).HasColumnName("created_at");
            e.Property(a => a.UpdatedAt).HasColumnName("updated_at");
            e.Property(a => a.LastReviewedAt).HasColumnName("last_reviewed_at");
            // REG014 in the database too: two concurrent creates cannot both win.
            e.HasIndex(a => a.Name).IsUnique();
            e.HasIndex(a => a.Status);
        });
        builder.Entity<ActivityVersion>(e =>
        {
            e.ToTable("register_activity_versions");
            e.HasKey(v => new { v.ActivityId, v.Version });
            e.Property(v => v.ActivityId).HasColumnName("activity_id");
            e.Property(v => v.Version).HasColumnName("version");
            e.Property(v => v.ChangedAt).HasColumnName("changed_at");
            e.Property(v => v.ChangedBy).HasColumnName("changed_by").HasMaxLength(120);
            e.Property(v => v.Change).HasColumnName("change").HasMaxLength(20);
            e.Property(v => v.Document).HasColumnName("document");
        });
        builder.Entity<ActivityReview>(e =>
        {
            e.ToTable("register_activity_reviews");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(r => r.ActivityId).HasColumnName("activity_id");
            e.Property(r => r.ReviewedBy).HasColumnName("reviewed_by").HasMaxLength(120);
            e.Property(r => r.ReviewedAt).HasColumnName("reviewed_at");
            e.Property(r => r.Notes).HasColumnName("notes").HasMaxLength(4000);
            e.Property(r => r.Version).HasColumnName("version");
            e.HasIndex(r => r.ActivityId);
        });
        builder.Entity<OrganisationRecord>(e =>
        {
            e.ToTable("register_organisation");
            e.HasKey(o => o.Id);
            e.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(o => o.Document).HasColumnName("document");
            e.Property(o => o.UpdatedAt).HasColumnName("updated_at");
        });
        builder.Entity<TaxonomyTermRecord>(e =>
        {
            e.ToTable("taxonomy_terms");
            e.HasKey(t => new { t.Kind, t.Key });
            e.Property(t => t.Kind).HasColumnName("kind").HasMaxLength(20);
            e.Property(t => t.Key).HasColumnName("key").HasMaxLength(200);
            e.Property(t => t.Name).HasColumnName("name").HasMaxLength(200);
            e.Property(t => t.Parent).HasColumnName("parent").HasMaxLength(200);
            e.Property(t => t.Description).HasColumnName("description").HasMaxLength(2000);
        });
        builder.Entity<PolicyRuleRecord>(e =>
        {
            e.ToTable("register_policy_rules");
            e.HasKey(p => p.Key);
            e.Property(p => p.Key).HasColumnName("key").HasMaxLength(100);
            e.Property(p => p.Name).HasColumnName("name").HasMaxLength(300);
            e.Property(p => p.Criteria).HasColumnName("criteria");
        });
    }
}
