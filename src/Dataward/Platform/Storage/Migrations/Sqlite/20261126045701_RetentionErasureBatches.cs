using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
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
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    rule_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    sweep_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    dataset = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    collection = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    replay = table.Column<bool>(type: "INTEGER", nullable: false),
                    rows = table.Column<int>(type: "INTEGER", nullable: false),
                    fingerprints = table.Column<byte[]>(type: "BLOB", nullable: false),
                    applied_at = table.Column<long>(type: "INTEGER", nullable: false)
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
                SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' || substr(h, 21, 12),
                       rule_id, sweep_id, dataset, collection, action, replay, n, fingerprints, applied_at
                FROM (SELECT hex(randomblob(16)) AS h, rule_id, sweep_id, dataset, collection, action, 0 AS replay, count(*) AS n,
                             unhex(group_concat(substr(key_fingerprint, 1, 32), '')) AS fingerprints, max(applied_at) AS applied_at
                      FROM retention_erasures GROUP BY rule_id, sweep_id, dataset, collection, action
                      UNION ALL
                      SELECT hex(randomblob(16)), rule_id, sweep_id, dataset, collection, action, 1, count(*),
                             unhex(group_concat(substr(key_fingerprint, 1, 32), '')), max(replayed_at)
                      FROM retention_erasures WHERE replayed_at IS NOT NULL GROUP BY rule_id, sweep_id, dataset, collection, action);
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
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    applied_at = table.Column<long>(type: "INTEGER", nullable: false),
                    collection = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    dataset = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    key_fingerprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    replayed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    rule_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    sweep_id = table.Column<Guid>(type: "TEXT", nullable: false)
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
