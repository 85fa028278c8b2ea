using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Requests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "requests",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    reference = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    year = table.Column<int>(type: "INTEGER", nullable: false),
                    sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    type = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    channel = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 30, nullable: false),
                    subject_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    identities_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    details_encrypted = table.Column<string>(type: "TEXT", nullable: true),
                    agent_encrypted = table.Column<string>(type: "TEXT", nullable: true),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false),
                    received_local_date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    clock_start_date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    clock_paused_reason = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    clock_paused_on = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    clock_days_credited = table.Column<int>(type: "INTEGER", nullable: false),
                    due_date = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    extended_due_date = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    extension_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    extension_notice_sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    verified_at = table.Column<long>(type: "INTEGER", nullable: true),
                    verification_method = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    verified_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: true),
                    approved_at = table.Column<long>(type: "INTEGER", nullable: true),
                    approved_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: true),
                    refusal_ground = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    refusal_reason = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    closed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    response_sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_requests", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "request_events",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    request_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    summary = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_request_events", x => x.id);
                    table.ForeignKey(
                        name: "FK_request_events_requests_request_id",
                        column: x => x.request_id,
                        principalTable: "requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_request_events_request_id_at",
                table: "request_events",
                columns: new[] { "request_id", "at" });

            migrationBuilder.CreateIndex(
                name: "IX_requests_reference",
                table: "requests",
                column: "reference",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_requests_state_due_date",
                table: "requests",
                columns: new[] { "state", "due_date" });

            migrationBuilder.CreateIndex(
                name: "IX_requests_subject_hash",
                table: "requests",
                column: "subject_hash");

            migrationBuilder.CreateIndex(
                name: "IX_requests_year_sequence",
                table: "requests",
                columns: new[] { "year", "sequence" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "request_events");

            migrationBuilder.DropTable(
                name: "requests");
        }
    }
}
