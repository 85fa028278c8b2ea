using Microsoft.EntityFrameworkCore;

namespace Dataward.Datasets;

/// <summary>Tables of datasets and systems: snake_case, one document column per dataset.</summary>
internal static class DatasetConfiguration
{
    public static void Configure(ModelBuilder builder)
    {
        builder.Entity<DatasetRecord>(e =>
        {
            e.ToTable("datasets");
            e.HasKey(d => d.Key);
            e.Property(d => d.Key).HasColumnName("key").HasMaxLength(200);
            e.Property(d => d.Name).HasColumnName("name");
            e.Property(d => d.Description).HasColumnName("description");
            // Text, not jsonb: jsonb reorders keys, and an export should read like the file that was imported.
            e.Property(d => d.Document).HasColumnName("document");
            e.Property(d => d.CollectionCount).HasColumnName("collection_count");
            e.Property(d => d.FieldCount).HasColumnName("field_count");
            e.Property(d => d.Version).HasColumnName("version").IsConcurrencyToken();
            e.Property(d => d.CreatedAt).HasColumnName("created_at");
            e.Property(d => d.UpdatedAt).HasColumnName("updated_at");
        });
        builder.Entity<SystemRecord>(e =>
        {
            e.ToTable("systems");
            e.HasKey(s => s.Key);
            e.Property(s => s.Key).HasColumnName("key").HasMaxLength(200);
            e.Property(s => s.Name).HasColumnName("name").HasMaxLength(200);
            e.Property(s => s.Description).HasColumnName("description").HasMaxLength(2000);
            e.Property(s => s.Owner).HasColumnName("owner").HasMaxLength(200);
            e.Property(s => s.Datasets).HasColumnName("datasets");
            e.Property(s => s.CreatedAt).HasColumnName("created_at");
        });
    }
}
