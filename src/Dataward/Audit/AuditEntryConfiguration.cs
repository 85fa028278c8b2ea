using Dataward.Domain.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Dataward.Audit;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public const string Table = "audit_entries";

    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable(Table);
        // The sequence is the chain's order and its primary key: two writers can never fork the chain.
        builder.HasKey(e => e.Sequence);
        builder.Property(e => e.Sequence).HasColumnName("sequence").ValueGeneratedNever();
        builder.Property(e => e.Time).HasColumnName("time");
        builder.Property(e => e.Actor).HasColumnName("actor").HasMaxLength(120);
        builder.Property(e => e.Action).HasColumnName("action").HasMaxLength(80);
        builder.Property(e => e.Target).HasColumnName("target").HasMaxLength(200);
        builder.Property(e => e.Details).HasColumnName("details");
        builder.Property(e => e.PreviousHash).HasColumnName("previous_hash").HasMaxLength(64).IsFixedLength();
        builder.Property(e => e.Hash).HasColumnName("hash").HasMaxLength(64).IsFixedLength();
        builder.HasIndex(e => e.Time);
        builder.HasIndex(e => e.Action);
        builder.HasIndex(e => e.Actor);
        builder.HasIndex(e => e.Target);
    }
}
