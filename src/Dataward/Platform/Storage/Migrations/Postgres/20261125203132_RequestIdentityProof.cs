using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RequestIdentityProof : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "code_confirmed_at",
                table: "requests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "proof_required_at",
                table: "requests",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "proof_required_by",
                table: "requests",
                type: "character varying(120)",
                maxLength: 120,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "proof_required_reason",
                table: "requests",
                type: "character varying(2000)",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "reply_letter_encrypted",
                table: "requests",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "response_channel",
                table: "requests",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "email");

            // DSR024: requests already logged are answered the way they came.
            migrationBuilder.Sql("UPDATE requests SET response_channel = CASE channel WHEN 'letter' THEN 'post' WHEN 'phone' THEN 'phone' WHEN 'in_person' THEN 'in_person' ELSE 'email' END");

            migrationBuilder.CreateTable(
                name: "request_identity_checks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    method = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    description_encrypted = table.Column<string>(type: "text", nullable: false),
                    outcome = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    checked_by = table.Column<string>(type: "character varying(120)", maxLength: 120, nullable: false),
                    checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_request_identity_checks", x => x.id);
                    table.ForeignKey(
                        name: "FK_request_identity_checks_requests_request_id",
                        column: x => x.request_id,
                        principalTable: "requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_request_identity_checks_request_id_checked_at",
                table: "request_identity_checks",
                columns: new[] { "request_id", "checked_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "request_identity_checks");

            migrationBuilder.DropColumn(
                name: "code_confirmed_at",
                table: "requests");

            migrationBuilder.DropColumn(
                name: "proof_required_at",
                table: "requests");

            migrationBuilder.DropColumn(
                name: "proof_required_by",
                table: "requests");

            migrationBuilder.DropColumn(
                name: "proof_required_reason",
                table: "requests");

            migrationBuilder.DropColumn(
                name: "reply_letter_encrypted",
                table: "requests");

            migrationBuilder.DropColumn(
                name: "response_channel",
                table: "requests");
        }
    }
}
