using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Retention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "retention_erasures",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    rule_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    sweep_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    dataset = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    collection = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    key_fingerprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    applied_at = table.Column<long>(type: "INTEGER", nullable: false),
                    replayed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_erasures", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "retention_legal_holds",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    identity_kind = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    identity_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    identity_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    matter_ref = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    until = table.Column<long>(type: "INTEGER", nullable: true),
                    placed_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    placed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    released_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    released_at = table.Column<long>(type: "INTEGER", nullable: true),
                    release_reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_legal_holds", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "retention_review_reminders",
                columns: table => new
                {
                    rule_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    due_at = table.Column<long>(type: "INTEGER", nullable: false),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_review_reminders", x => new { x.rule_id, x.due_at });
                });

            migrationBuilder.CreateTable(
                name: "retention_rules",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    category = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    activity_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    dataset = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    collection = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    trigger_field = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    trigger_event = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    period = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    legal_reference = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    schedule = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    next_run_at = table.Column<long>(type: "INTEGER", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    dry_run_version = table.Column<int>(type: "INTEGER", nullable: true),
                    applied = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_reviewed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    last_reviewed_by = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_rules", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "retention_sweep_rules",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    sweep_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    rule_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    rule_version = table.Column<int>(type: "INTEGER", nullable: false),
                    rule_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    rule_document = table.Column<string>(type: "TEXT", nullable: false),
                    dataset = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    collection = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    note = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    cursor_encrypted = table.Column<string>(type: "TEXT", nullable: true),
                    pending = table.Column<string>(type: "TEXT", nullable: true),
                    matched = table.Column<long>(type: "INTEGER", nullable: false),
                    changed = table.Column<long>(type: "INTEGER", nullable: false),
                    untriggered = table.Column<long>(type: "INTEGER", nullable: false),
                    skipped_legal_hold = table.Column<long>(type: "INTEGER", nullable: false),
                    skipped_pending_request = table.Column<long>(type: "INTEGER", nullable: false),
                    skipped_already_erased = table.Column<long>(type: "INTEGER", nullable: false),
                    skipped_unreadable = table.Column<long>(type: "INTEGER", nullable: false),
                    failed = table.Column<long>(type: "INTEGER", nullable: false),
                    batches = table.Column<int>(type: "INTEGER", nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: true),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_sweep_rules", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "retention_sweeps",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    dry_run = table.Column<bool>(type: "INTEGER", nullable: false),
                    trigger = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: true),
                    lease_until = table.Column<long>(type: "INTEGER", nullable: true),
                    next_attempt_at = table.Column<long>(type: "INTEGER", nullable: true),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_sweeps", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_retention_erasures_dataset_collection",
                table: "retention_erasures",
                columns: new[] { "dataset", "collection" });

            migrationBuilder.CreateIndex(
                name: "IX_retention_erasures_rule_id_key_fingerprint",
                table: "retention_erasures",
                columns: new[] { "rule_id", "key_fingerprint" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_retention_legal_holds_identity_hash",
                table: "retention_legal_holds",
                column: "identity_hash");

            migrationBuilder.CreateIndex(
                name: "IX_retention_rules_name",
                table: "retention_rules",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_retention_sweep_rules_rule_id",
                table: "retention_sweep_rules",
                column: "rule_id");

            migrationBuilder.CreateIndex(
                name: "IX_retention_sweep_rules_sweep_id",
                table: "retention_sweep_rules",
                column: "sweep_id");

            migrationBuilder.CreateIndex(
                name: "IX_retention_sweeps_started_at",
                table: "retention_sweeps",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "IX_retention_sweeps_status_next_attempt_at",
                table: "retention_sweeps",
                columns: new[] { "status", "next_attempt_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "retention_erasures");

            migrationBuilder.DropTable(
                name: "retention_legal_holds");

            migrationBuilder.DropTable(
                name: "retention_review_reminders");

            migrationBuilder.DropTable(
                name: "retention_rules");

            migrationBuilder.DropTable(
                name: "retention_sweep_rules");

            migrationBuilder.DropTable(
                name: "retention_sweeps");
        }
    }
}
