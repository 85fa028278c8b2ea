using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ConsentEventsAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // CNS005: events are append-only; CNS024: the only change allowed is erasing the identifiers.
            migrationBuilder.Sql("""
                CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
                WHEN NEW.event_id IS NOT OLD.event_id OR NEW.subject_hash IS NOT OLD.subject_hash OR NEW.purpose IS NOT OLD.purpose OR NEW.action IS NOT OLD.action OR NEW.notice_version IS NOT OLD.notice_version OR NEW.method IS NOT OLD.method OR NEW.occurred_at IS NOT OLD.occurred_at OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.evidence IS NOT OLD.evidence OR NEW.actor IS NOT OLD.actor OR NEW.audit_hash IS NOT OLD.audit_hash OR NEW.count_change IS NOT OLD.count_change OR NEW.age IS NOT OLD.age OR NEW.age_threshold IS NOT OLD.age_threshold OR NEW.parental_confirmation_id IS NOT OLD.parental_confirmation_id
                  OR (NEW.subject_encrypted IS NOT OLD.subject_encrypted AND NEW.subject_encrypted IS NOT NULL)
                  OR (NEW.parent_encrypted IS NOT OLD.parent_encrypted AND NEW.parent_encrypted IS NOT NULL)
                BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: only identifiers may be erased'); END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
                BEGIN SELECT RAISE(ABORT, 'consent_events is append-only: delete refused'); END;
                """);

        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS consent_events_append_only;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS consent_events_no_delete;");

        }
    }
}
