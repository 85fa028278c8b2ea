using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConsentEventsAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // CNS005: events are append-only; CNS024: the only change allowed is erasing the identifiers.
            migrationBuilder.Sql("""
                CREATE FUNCTION consent_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP <> 'UPDATE' OR NEW.event_id IS DISTINCT FROM OLD.event_id OR NEW.subject_hash IS DISTINCT FROM OLD.subject_hash OR NEW.purpose IS DISTINCT FROM OLD.purpose OR NEW.action IS DISTINCT FROM OLD.action OR NEW.notice_version IS DISTINCT FROM OLD.notice_version OR NEW.method IS DISTINCT FROM OLD.method OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at OR NEW.recorded_at IS DISTINCT FROM OLD.recorded_at OR NEW.evidence IS DISTINCT FROM OLD.evidence OR NEW.actor IS DISTINCT FROM OLD.actor OR NEW.audit_hash IS DISTINCT FROM OLD.audit_hash OR NEW.count_change IS DISTINCT FROM OLD.count_change OR NEW.age IS DISTINCT FROM OLD.age OR NEW.age_threshold IS DISTINCT FROM OLD.age_threshold OR NEW.parental_confirmation_id IS DISTINCT FROM OLD.parental_confirmation_id
                       OR (NEW.subject_encrypted IS DISTINCT FROM OLD.subject_encrypted AND NEW.subject_encrypted IS NOT NULL)
                       OR (NEW.parent_encrypted IS DISTINCT FROM OLD.parent_encrypted AND NEW.parent_encrypted IS NOT NULL) THEN
                        RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP;
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
                    FOR EACH ROW EXECUTE FUNCTION consent_events_refuse_change();
                CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events
                    FOR EACH STATEMENT EXECUTE FUNCTION consent_events_refuse_change();
                """);

        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS consent_events_no_truncate ON consent_events;
                DROP TRIGGER IF EXISTS consent_events_append_only ON consent_events;
                DROP FUNCTION IF EXISTS consent_events_refuse_change();
                """);

        }
    }
}
