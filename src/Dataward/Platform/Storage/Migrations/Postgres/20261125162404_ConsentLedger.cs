using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ConsentLedger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "consent_events",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    subject_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    subject_encrypted = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    purpose = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    action = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    notice_version = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    method = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    evidence = table.Column<string>(type: "text", nullable: false),
                    actor = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    audit_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_events", x => x.event_id);
                });

            migrationBuilder.CreateTable(
                name: "consent_purposes",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    activities = table.Column<string>(type: "text", nullable: false),
                    @explicit = table.Column<bool>(name: "explicit", type: "boolean", nullable: false),
                    sensitive = table.Column<bool>(type: "boolean", nullable: false),
                    children = table.Column<bool>(type: "boolean", nullable: false),
                    sale_or_sharing = table.Column<bool>(type: "boolean", nullable: false),
                    direct_marketing = table.Column<bool>(type: "boolean", nullable: false),
                    refresh_after_days = table.Column<int>(type: "integer", nullable: true),
                    retired = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_purposes", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "consent_states",
                columns: table => new
                {
                    subject_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    purpose = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    latest_action = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    notice_version = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    ever_given = table.Column<bool>(type: "boolean", nullable: false),
                    given_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_states", x => new { x.subject_hash, x.purpose });
                });

            migrationBuilder.CreateTable(
                name: "notices",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: true),
                    language = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    title = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    body = table.Column<string>(type: "text", nullable: false),
                    substantial = table.Column<bool>(type: "boolean", nullable: false),
                    purposes = table.Column<string>(type: "text", nullable: false),
                    effective_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    published_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_notices", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_consent_events_purpose",
                table: "consent_events",
                column: "purpose");

            migrationBuilder.CreateIndex(
                name: "IX_consent_events_subject_hash_purpose",
                table: "consent_events",
                columns: new[] { "subject_hash", "purpose" });

            migrationBuilder.CreateIndex(
                name: "IX_notices_version",
                table: "notices",
                column: "version",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "consent_events");

            migrationBuilder.DropTable(
                name: "consent_purposes");

            migrationBuilder.DropTable(
                name: "consent_states");

            migrationBuilder.DropTable(
                name: "notices");
        }
    }
}
