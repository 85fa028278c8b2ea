using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
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
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "renew_by",
                table: "notices",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "pending_parent",
                table: "consent_states",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "refresh_due_at",
                table: "consent_states",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "renew_by",
                table: "consent_states",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "renewal_required",
                table: "consent_states",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AlterColumn<string>(
                name: "subject_encrypted",
                table: "consent_events",
                type: "TEXT",
                maxLength: 1000,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 1000);

            migrationBuilder.AddColumn<int>(
                name: "age",
                table: "consent_events",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "age_threshold",
                table: "consent_events",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "count_change",
                table: "consent_events",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "parent_encrypted",
                table: "consent_events",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "parental_confirmation_id",
                table: "consent_events",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "consent_renewals",
                columns: table => new
                {
                    notice_version = table.Column<int>(type: "INTEGER", nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    subject_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    requested_at = table.Column<long>(type: "INTEGER", nullable: false),
                    renewed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_renewals", x => new { x.notice_version, x.purpose, x.subject_hash });
                });

            migrationBuilder.CreateTable(
                name: "consent_suppressions",
                columns: table => new
                {
                    subject_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    event_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_suppressions", x => new { x.subject_hash, x.purpose });
                });

            migrationBuilder.CreateTable(
                name: "verification_codes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    subject_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    code_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    failed_attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    used_at = table.Column<long>(type: "INTEGER", nullable: true)
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "TEXT",
                oldMaxLength: 1000,
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_consent_events_purpose",
                table: "consent_events",
                column: "purpose");
        }
    }
}
