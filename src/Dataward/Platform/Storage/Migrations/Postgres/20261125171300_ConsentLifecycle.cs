using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConsentLifecycle : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_consent_events_purpose",
                table: "consent_events");

            migrationBuilder.AddColumn<string>(
                name: "changed_purposes",
                table: "notices",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "renew_by",
                table: "notices",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "pending_parent",
                table: "consent_states",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "refresh_due_at",
                table: "consent_states",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "renew_by",
                table: "consent_states",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "renewal_required",
                table: "consent_states",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AlterColumn<string>(
                name: "subject_encrypted",
                table: "consent_events",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(1000)",
                oldMaxLength: 1000);

            migrationBuilder.AddColumn<int>(
                name: "age",
                table: "consent_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "age_threshold",
                table: "consent_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "count_change",
                table: "consent_events",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "parent_encrypted",
                table: "consent_events",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "parental_confirmation_id",
                table: "consent_events",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "consent_renewals",
                columns: table => new
                {
                    notice_version = table.Column<int>(type: "integer", nullable: false),
                    purpose = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    subject_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    renewed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_renewals", x => new { x.notice_version, x.purpose, x.subject_hash });
                });

            migrationBuilder.CreateTable(
                name: "consent_suppressions",
                columns: table => new
                {
                    subject_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    purpose = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    reason = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_suppressions", x => new { x.subject_hash, x.purpose });
                });

            migrationBuilder.CreateTable(
                name: "verification_codes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    purpose = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    subject_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    code_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    failed_attempts = table.Column<int>(type: "integer", nullable: false),
                    used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_verification_codes", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_consent_events_purpose_occurred_at",
                table: "consent_events",
                columns: new[] { "purpose", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "IX_consent_renewals_subject_hash_purpose",
                table: "consent_renewals",
                columns: new[] { "subject_hash", "purpose" });

            migrationBuilder.CreateIndex(
                name: "IX_verification_codes_subject_hash_purpose",
                table: "verification_codes",
                columns: new[] { "subject_hash", "purpose" });

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

            migrationBuilder.DropTable(
                name: "consent_renewals");

            migrationBuilder.DropTable(
                name: "consent_suppressions");

            migrationBuilder.DropTable(
                name: "verification_codes");

            migrationBuilder.DropIndex(
                name: "IX_consent_events_purpose_occurred_at",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "changed_purposes",
                table: "notices");

            migrationBuilder.DropColumn(
                name: "renew_by",
                table: "notices");

            migrationBuilder.DropColumn(
                name: "pending_parent",
                table: "consent_states");

            migrationBuilder.DropColumn(
                name: "refresh_due_at",
                table: "consent_states");

            migrationBuilder.DropColumn(
                name: "renew_by",
                table: "consent_states");

            migrationBuilder.DropColumn(
                name: "renewal_required",
                table: "consent_states");

            migrationBuilder.DropColumn(
                name: "age",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "age_threshold",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "count_change",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "parent_encrypted",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "parental_confirmation_id",
                table: "consent_events");

            migrationBuilder.AlterColumn<string>(
                name: "subject_encrypted",
                table: "consent_events",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(1000)",
                oldMaxLength: 1000,
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_consent_events_purpose",
                table: "consent_events",
                column: "purpose");
        }
    }
}
