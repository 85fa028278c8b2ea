using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TrainingAndComplaints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "complaints",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    reference = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    year = table.Column<int>(type: "INTEGER", nullable: false),
                    sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false),
                    received_local_date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    channel = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    complainant_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    has_email = table.Column<bool>(type: "INTEGER", nullable: false),
                    subject_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    details_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    related_request_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    related_breach_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    ack_due_at = table.Column<long>(type: "INTEGER", nullable: false),
                    reply_due_at = table.Column<long>(type: "INTEGER", nullable: false),
                    acknowledged_at = table.Column<long>(type: "INTEGER", nullable: true),
                    acknowledged_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: true),
                    acknowledgement_method = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    result = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    outcome_encrypted = table.Column<string>(type: "TEXT", nullable: true),
                    outcome_sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    outcome_method = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    responded_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: true),
                    ico_right_mentioned = table.Column<bool>(type: "INTEGER", nullable: false),
                    closed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    closed_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: true),
                    closed_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    logged_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    entry_count = table.Column<int>(type: "INTEGER", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_complaints", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "training_courses",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    validity_months = table.Column<int>(type: "INTEGER", nullable: true),
                    mandatory = table.Column<bool>(type: "INTEGER", nullable: false),
                    required_for = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_training_courses", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "training_staff",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name_encrypted = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    email_encrypted = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    email_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    start_date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    department = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    user_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    source = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    left_on = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_training_staff", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "complaint_updates",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    complaint_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    position = table.Column<int>(type: "INTEGER", nullable: false),
                    at = table.Column<long>(type: "INTEGER", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    text_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    sent_to_complainant = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_complaint_updates", x => x.id);
                    table.ForeignKey(
                        name: "FK_complaint_updates_complaints_complaint_id",
                        column: x => x.complaint_id,
                        principalTable: "complaints",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "training_completions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    staff_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    course_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    completed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true),
                    evidence = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    recorded_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    recorded_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_training_completions", x => x.id);
                    table.ForeignKey(
                        name: "FK_training_completions_training_courses_course_id",
                        column: x => x.course_id,
                        principalTable: "training_courses",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_training_completions_training_staff_staff_id",
                        column: x => x.staff_id,
                        principalTable: "training_staff",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "training_induction_meetings",
                columns: table => new
                {
                    staff_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    met_at = table.Column<long>(type: "INTEGER", nullable: false),
                    dpo = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    notes_encrypted = table.Column<string>(type: "TEXT", nullable: true),
                    recorded_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_training_induction_meetings", x => x.staff_id);
                    table.ForeignKey(
                        name: "FK_training_induction_meetings_training_staff_staff_id",
                        column: x => x.staff_id,
                        principalTable: "training_staff",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "training_reminders",
                columns: table => new
                {
                    staff_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    item = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    due_at = table.Column<long>(type: "INTEGER", nullable: false),
                    threshold = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_training_reminders", x => new { x.staff_id, x.item, x.due_at, x.threshold });
                    table.ForeignKey(
                        name: "FK_training_reminders_training_staff_staff_id",
                        column: x => x.staff_id,
                        principalTable: "training_staff",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_complaint_updates_complaint_id_position",
                table: "complaint_updates",
                columns: new[] { "complaint_id", "position" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_complaints_received_local_date",
                table: "complaints",
                column: "received_local_date");

            migrationBuilder.CreateIndex(
                name: "IX_complaints_reference",
                table: "complaints",
                column: "reference",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_complaints_status_ack_due_at",
                table: "complaints",
                columns: new[] { "status", "ack_due_at" });

            migrationBuilder.CreateIndex(
                name: "IX_complaints_year_sequence",
                table: "complaints",
                columns: new[] { "year", "sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_training_completions_course_id",
                table: "training_completions",
                column: "course_id");

            migrationBuilder.CreateIndex(
                name: "IX_training_completions_staff_id_course_id",
                table: "training_completions",
                columns: new[] { "staff_id", "course_id" });

            migrationBuilder.CreateIndex(
                name: "IX_training_courses_title",
                table: "training_courses",
                column: "title",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_training_staff_email_hash",
                table: "training_staff",
                column: "email_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_training_staff_user_id",
                table: "training_staff",
                column: "user_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "complaint_updates");

            migrationBuilder.DropTable(
                name: "training_completions");

            migrationBuilder.DropTable(
                name: "training_induction_meetings");

            migrationBuilder.DropTable(
                name: "training_reminders");

            migrationBuilder.DropTable(
                name: "complaints");

            migrationBuilder.DropTable(
                name: "training_courses");

            migrationBuilder.DropTable(
                name: "training_staff");
        }
    }
}
