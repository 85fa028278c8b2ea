using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Dpias : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "dpia_screenings",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    activity_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    activity_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    criteria = table.Column<string>(type: "TEXT", nullable: false),
                    art35_cases = table.Column<string>(type: "TEXT", nullable: false),
                    ico_list = table.Column<string>(type: "TEXT", nullable: false),
                    dpia_required = table.Column<bool>(type: "INTEGER", nullable: false),
                    reasons = table.Column<string>(type: "TEXT", nullable: false),
                    notes = table.Column<string>(type: "TEXT", nullable: true),
                    screened_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    screened_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dpia_screenings", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "dpias",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    reference = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    year = table.Column<int>(type: "INTEGER", nullable: false),
                    sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    activity_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    activity_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    screening_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    need = table.Column<string>(type: "TEXT", nullable: true),
                    description = table.Column<string>(type: "TEXT", nullable: false),
                    consultation = table.Column<string>(type: "TEXT", nullable: true),
                    necessity = table.Column<string>(type: "TEXT", nullable: false),
                    risks = table.Column<string>(type: "TEXT", nullable: false),
                    residual_risk = table.Column<string>(type: "TEXT", maxLength: 10, nullable: true),
                    dpo_advice = table.Column<string>(type: "TEXT", nullable: true),
                    sign_off = table.Column<string>(type: "TEXT", nullable: true),
                    next_review_at = table.Column<long>(type: "INTEGER", nullable: true),
                    reviews = table.Column<string>(type: "TEXT", nullable: false),
                    prior_consultation = table.Column<string>(type: "TEXT", nullable: true),
                    advice_due_at = table.Column<long>(type: "INTEGER", nullable: true),
                    processing_on_hold = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dpias", x => x.id);
                    table.ForeignKey(
                        name: "FK_dpias_dpia_screenings_screening_id",
                        column: x => x.screening_id,
                        principalTable: "dpia_screenings",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "dpia_events",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    dpia_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    summary = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_dpia_events", x => x.id);
                    table.ForeignKey(
                        name: "FK_dpia_events_dpias_dpia_id",
                        column: x => x.dpia_id,
                        principalTable: "dpias",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_dpia_events_dpia_id_sequence",
                table: "dpia_events",
                columns: new[] { "dpia_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "IX_dpia_screenings_activity_id_screened_at",
                table: "dpia_screenings",
                columns: new[] { "activity_id", "screened_at" });

            migrationBuilder.CreateIndex(
                name: "IX_dpias_activity_id",
                table: "dpias",
                column: "activity_id");

            migrationBuilder.CreateIndex(
                name: "IX_dpias_reference",
                table: "dpias",
                column: "reference",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_dpias_screening_id",
                table: "dpias",
                column: "screening_id");

            migrationBuilder.CreateIndex(
                name: "IX_dpias_status",
                table: "dpias",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "IX_dpias_year_sequence",
                table: "dpias",
                columns: new[] { "year", "sequence" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "dpia_events");

            migrationBuilder.DropTable(
                name: "dpias");

            migrationBuilder.DropTable(
                name: "dpia_screenings");
        }
    }
}
