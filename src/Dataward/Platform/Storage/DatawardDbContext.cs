using Dataward.Audit;
using Dataward.Datasets;
using Dataward.Domain.Audit;
using Dataward.Platform.Security;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Dataward.Platform.Storage;

/// <summary>Dataward's own database: staff, tokens, the audit trail and every capability's tables.
/// One derived context per provider carries that provider's migrations.</summary>
public abstract class DatawardDbContext(DbContextOptions options)
    : IdentityDbContext<StaffUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Register.ActivityRecord> Activities => Set<Register.ActivityRecord>();

    public DbSet<Register.ActivityVersion> ActivityVersions => Set<Register.ActivityVersion>();

    public DbSet<Register.ActivityReview> ActivityReviews => Set<Register.ActivityReview>();

    public DbSet<Register.OrganisationRecord> Organisation => Set<Register.OrganisationRecord>();

    public DbSet<Register.TaxonomyTermRecord> TaxonomyTerms => Set<Register.TaxonomyTermRecord>();

    public DbSet<Register.PolicyRuleRecord> PolicyRules => Set<Register.PolicyRuleRecord>();

    public DbSet<DatasetRecord> Datasets => Set<DatasetRecord>();

    public DbSet<SystemRecord> Systems => Set<SystemRecord>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfiguration(new AuditEntryConfiguration());
        builder.ApplyConfiguration(new ApiTokenConfiguration());
        Register.RegisterConfiguration.Configure(builder);
        Register.ReviewReminder.Configure(builder);
        Email.OutboxMessage.Configure(builder);
        Consent.ConsentConfiguration.Configure(builder);
        Notices.NoticeRecord.Configure(builder);
        Portal.VerificationCode.Configure(builder);
        Requests.RequestConfiguration.Configure(builder);
        Requests.RequestAccessRecord.Configure(builder);
        Requests.RequestExecutionConfiguration.Configure(builder);
        Connections.ConnectionRecord.Configure(builder);
        Breaches.BreachConfiguration.Configure(builder);
        Pseudonymisation.VaultEntry.Configure(builder);
        Shredding.SubjectKey.Configure(builder);
        Sharing.SharingConfiguration.Configure(builder);
        Retention.RetentionConfiguration.Configure(builder);
        Dpias.DpiaConfiguration.Configure(builder);
        Training.TrainingConfiguration.Configure(builder);
        Complaints.ComplaintConfiguration.Configure(builder);
        DatasetConfiguration.Configure(builder);
        builder.Entity<StaffUser>().Property(u => u.CreatedAt);
        // The four roles exist from the first migration on, with fixed ids, on every provider.
        builder.Entity<IdentityRole<Guid>>().HasData(StaffRoles.All.Select((role, i) => new IdentityRole<Guid>
        {
            Id = new Guid($"00000000-0000-7000-8000-00000000000{i + 1}"),
            Name = role,
            NormalizedName = role.ToUpperInvariant(),
            ConcurrencyStamp = $"role-{i + 1}",
        }));
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RefuseAuditTrailChanges();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RefuseAuditTrailChanges();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // The trail is append-only in code as well as (on PostgreSQL and SQLite) by trigger.
    private void RefuseAuditTrailChanges()
    {
        foreach (var entry in ChangeTracker.Entries<AuditEntry>())
        {
            if (entry.State is EntityState.Modified or EntityState.Deleted)
            {
                throw new InvalidOperationException("The audit trail is append-only: entries cannot be changed or removed.");
            }
        }
    }
}

/// <summary>The SQLite flavour: the embedded default.</summary>
public sealed class SqliteDatawardDbContext(DbContextOptions<SqliteDatawardDbContext> options) : DatawardDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset stored as text. UTC ticks as integers sort correctly and keep
        // full precision (EF's DateTimeOffsetToBinaryConverter drops below 0.1 ms, which would break audit hashes).
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
    }

    private sealed class UtcTicksConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTimeOffset, long>(
        value => value.UtcTicks, ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
}

/// <summary>The PostgreSQL flavour: what production uses.</summary>
public sealed class PostgresDatawardDbContext(DbContextOptions<PostgresDatawardDbContext> options) : DatawardDbContext(options);
