using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Breaches : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "breaches",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    reference = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    year = table.Column<int>(type: "integer", nullable: false),
                    sequence = table.Column<int>(type: "integer", nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    reported_by = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    reported_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    discovered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    how_discovered = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    systems = table.Column<string>(type: "text", nullable: false),
                    data_categories = table.Column<string>(type: "text", nullable: false),
                    subject_categories = table.Column<string>(type: "text", nullable: false),
                    breach_types = table.Column<string>(type: "text", nullable: false),
                    approximate_subjects = table.Column<int>(type: "integer", nullable: true),
                    approximate_records = table.Column<int>(type: "integer", nullable: true),
                    containment = table.Column<string>(type: "text", nullable: true),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    is_breach = table.Column<bool>(type: "boolean", nullable: true),
                    triage_reason = table.Column<string>(type: "text", nullable: true),
                    triaged_by = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: true),
                    triaged_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    aware_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    processor_notified_controller_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ico_deadline = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    severity = table.Column<string>(type: "text", nullable: true),
                    risk_level = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    risk_reason = table.Column<string>(type: "text", nullable: true),
                    assessed_by = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: true),
                    assessed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    likely_consequences = table.Column<string>(type: "text", nullable: true),
                    measures = table.Column<string>(type: "text", nullable: true),
                    advice_to_people = table.Column<string>(type: "text", nullable: true),
                    caused_by_cyber_incident = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    ico_decision = table.Column<string>(type: "text", nullable: true),
                    individuals_decision = table.Column<string>(type: "text", nullable: true),
                    ico_notifications = table.Column<string>(type: "text", nullable: false),
                    communications = table.Column<string>(type: "text", nullable: false),
                    affected_people_encrypted = table.Column<string>(type: "text", nullable: true),
                    affected_people_count = table.Column<int>(type: "integer", nullable: false),
                    closed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    closed_by = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: true),
                    lessons_learned = table.Column<string>(type: "text", nullable: true),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_breaches", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "breach_actions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    breach_id = table.Column<Guid>(type: "uuid", nullable: false),
                    description = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    done_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    waived_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_breach_actions", x => x.id);
                    table.ForeignKey(
                        name: "FK_breach_actions_breaches_breach_id",
                        column: x => x.breach_id,
                        principalTable: "breaches",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "breach_events",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    breach_id = table.Column<Guid>(type: "uuid", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    actor = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    kind = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    summary = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_breach_events", x => x.id);
                    table.ForeignKey(
                        name: "FK_breach_events_breaches_breach_id",
                        column: x => x.breach_id,
                        principalTable: "breaches",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_breach_actions_breach_id",
                table: "breach_actions",
                column: "breach_id");

            migrationBuilder.CreateIndex(
                name: "IX_breach_events_breach_id_at",
                table: "breach_events",
                columns: new[] { "breach_id", "at" });

            migrationBuilder.CreateIndex(
                name: "IX_breaches_reference",
                table: "breaches",
                column: "reference",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_breaches_status_ico_deadline",
                table: "breaches",
                columns: new[] { "status", "ico_deadline" });

            migrationBuilder.CreateIndex(
                name: "IX_breaches_year_sequence",
                table: "breaches",
                columns: new[] { "year", "sequence" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "breach_actions");

            migrationBuilder.DropTable(
                name: "breach_events");

            migrationBuilder.DropTable(
                name: "breaches");
        }
    }
}
