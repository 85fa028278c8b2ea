using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SubjectKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "subject_keys",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    subject_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    key_encrypted = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    destroyed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    destroyed_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: true),
                    destroy_reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_subject_keys", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_subject_keys_live",
                table: "subject_keys",
                column: "subject_hash",
                unique: true,
                filter: "\"destroyed_at\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_subject_keys_subject_hash",
                table: "subject_keys",
                column: "subject_hash");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "subject_keys");
        }
    }
}
