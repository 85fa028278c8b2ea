using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RetentionErasureBatches : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "retention_erasure_batches",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    rule_id = table.Column<Guid>(type: "uuid", nullable: false),
                    sweep_id = table.Column<Guid>(type: "uuid", nullable: false),
                    dataset = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    collection = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    action = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    replay = table.Column<bool>(type: "boolean", nullable: false),
                    rows = table.Column<int>(type: "integer", nullable: false),
                    fingerprints = table.Column<byte[]>(type: "bytea", nullable: false),
                    applied_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_erasure_batches", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_retention_erasure_batches_rule_id",
                table: "retention_erasure_batches",
                column: "rule_id");

            // The per-row ledger becomes one row per sweep batch (and one more for its replayed rows), each fingerprint cut to
            // its first 16 bytes as the sweeps now compute it.
            migrationBuilder.Sql("""
                INSERT INTO retention_erasure_batches (id, rule_id, sweep_id, dataset, collection, action, replay, rows, fingerprints, applied_at)
                SELECT gen_random_uuid(), rule_id, sweep_id, dataset, collection, action, false, count(*),
                       decode(string_agg(substr(key_fingerprint, 1, 32), ''), 'hex'), max(applied_at)
                FROM retention_erasures GROUP BY rule_id, sweep_id, dataset, collection, action
                UNION ALL
                SELECT gen_random_uuid(), rule_id, sweep_id, dataset, collection, action, true, count(*),
                       decode(string_agg(substr(key_fingerprint, 1, 32), ''), 'hex'), max(replayed_at)
                FROM retention_erasures WHERE replayed_at IS NOT NULL GROUP BY rule_id, sweep_id, dataset, collection, action;
                """);

            migrationBuilder.DropTable(
                name: "retention_erasures");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "retention_erasure_batches");

            migrationBuilder.CreateTable(
                name: "retention_erasures",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    action = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    applied_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    collection = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    dataset = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    key_fingerprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    replayed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rule_id = table.Column<Guid>(type: "uuid", nullable: false),
                    sweep_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_retention_erasures", x => x.id);
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
        }
    }
}
