using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
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
                    event_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    subject_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    subject_encrypted = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    notice_version = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    method = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    occurred_at = table.Column<long>(type: "INTEGER", nullable: false),
                    recorded_at = table.Column<long>(type: "INTEGER", nullable: false),
                    evidence = table.Column<string>(type: "TEXT", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    audit_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_events", x => x.event_id);
                });

            migrationBuilder.CreateTable(
                name: "consent_purposes",
                columns: table => new
                {
                    key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    activities = table.Column<string>(type: "TEXT", nullable: false),
                    @explicit = table.Column<bool>(name: "explicit", type: "INTEGER", nullable: false),
                    sensitive = table.Column<bool>(type: "INTEGER", nullable: false),
                    children = table.Column<bool>(type: "INTEGER", nullable: false),
                    sale_or_sharing = table.Column<bool>(type: "INTEGER", nullable: false),
                    direct_marketing = table.Column<bool>(type: "INTEGER", nullable: false),
                    refresh_after_days = table.Column<int>(type: "INTEGER", nullable: true),
                    retired = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_purposes", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "consent_states",
                columns: table => new
                {
                    subject_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    latest_action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    event_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    notice_version = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    ever_given = table.Column<bool>(type: "INTEGER", nullable: false),
                    given_at = table.Column<long>(type: "INTEGER", nullable: true),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_consent_states", x => new { x.subject_hash, x.purpose });
                });

            migrationBuilder.CreateTable(
                name: "notices",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: true),
                    language = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    body = table.Column<string>(type: "TEXT", nullable: false),
                    substantial = table.Column<bool>(type: "INTEGER", nullable: false),
                    purposes = table.Column<string>(type: "TEXT", nullable: false),
                    effective_at = table.Column<long>(type: "INTEGER", nullable: true),
                    published_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
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
