using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Register : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "register_activities",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    lawful_basis = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    has_special_categories = table.Column<bool>(type: "INTEGER", nullable: false),
                    owner = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    document = table.Column<string>(type: "TEXT", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_reviewed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_register_activities", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "register_activity_reviews",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    activity_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    reviewed_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    reviewed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    notes = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_register_activity_reviews", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "register_activity_versions",
                columns: table => new
                {
                    activity_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    changed_at = table.Column<long>(type: "INTEGER", nullable: false),
                    changed_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    change = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    document = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_register_activity_versions", x => new { x.activity_id, x.version });
                });

            migrationBuilder.CreateTable(
                name: "register_organisation",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false),
                    document = table.Column<string>(type: "TEXT", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_register_organisation", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "register_policy_rules",
                columns: table => new
                {
                    key = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    criteria = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_register_policy_rules", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "taxonomy_terms",
                columns: table => new
                {
                    kind = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    parent = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_taxonomy_terms", x => new { x.kind, x.key });
                });

            migrationBuilder.CreateIndex(
                name: "IX_register_activities_name",
                table: "register_activities",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_register_activities_status",
                table: "register_activities",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "IX_register_activity_reviews_activity_id",
                table: "register_activity_reviews",
                column: "activity_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "register_activities");

            migrationBuilder.DropTable(
                name: "register_activity_reviews");

            migrationBuilder.DropTable(
                name: "register_activity_versions");

            migrationBuilder.DropTable(
                name: "register_organisation");

            migrationBuilder.DropTable(
                name: "register_policy_rules");

            migrationBuilder.DropTable(
                name: "taxonomy_terms");
        }
    }
}
