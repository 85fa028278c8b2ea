using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dataward.Platform.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PseudonymisationAndSharing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pseudonym_domains",
                columns: table => new
                {
                    domain = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pseudonym_domains", x => x.domain);
                });

            migrationBuilder.CreateTable(
                name: "pseudonym_vault",
                columns: table => new
                {
                    token = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    domain = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    value_encrypted = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pseudonym_vault", x => x.token);
                });

            migrationBuilder.CreateTable(
                name: "sharing_recipients",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    name_key = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    contact_encrypted = table.Column<string>(type: "TEXT", nullable: true),
                    contract_in_place = table.Column<bool>(type: "INTEGER", nullable: false),
                    contract_date = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    art28_clauses = table.Column<string>(type: "TEXT", nullable: false),
                    sub_processors = table.Column<string>(type: "TEXT", nullable: false),
                    countries = table.Column<string>(type: "TEXT", nullable: false),
                    transfer_safeguard = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    tra_reference = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    tra_date = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    review_due = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sharing_recipients", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "pseudonym_keys",
                columns: table => new
                {
                    domain = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    key_encrypted = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    normalisation = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    destroyed_at = table.Column<long>(type: "INTEGER", nullable: true),
                    destroyed_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: true),
                    destroy_reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_pseudonym_keys", x => new { x.domain, x.version });
                    table.ForeignKey(
                        name: "FK_pseudonym_keys_pseudonym_domains_domain",
                        column: x => x.domain,
                        principalTable: "pseudonym_domains",
                        principalColumn: "domain",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "sharing_agreements",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    reference = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    year = table.Column<int>(type: "INTEGER", nullable: false),
                    sequence = table.Column<int>(type: "INTEGER", nullable: false),
                    recipient_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    activity_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    dataset = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    collection = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    fields = table.Column<string>(type: "TEXT", nullable: false),
                    quasi_identifiers = table.Column<string>(type: "TEXT", nullable: false),
                    k = table.Column<int>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    review_due = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    involves_sale = table.Column<bool>(type: "INTEGER", nullable: false),
                    terms = table.Column<string>(type: "TEXT", nullable: false),
                    key_domain = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sharing_agreements", x => x.id);
                    table.ForeignKey(
                        name: "FK_sharing_agreements_sharing_recipients_recipient_id",
                        column: x => x.recipient_id,
                        principalTable: "sharing_recipients",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "sharing_exports",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    agreement_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    agreement_reference = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    agreement_version = table.Column<int>(type: "INTEGER", nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    started_at = table.Column<long>(type: "INTEGER", nullable: false),
                    finished_at = table.Column<long>(type: "INTEGER", nullable: false),
                    format = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    fields = table.Column<string>(type: "TEXT", nullable: false),
                    records = table.Column<long>(type: "INTEGER", nullable: false),
                    bytes = table.Column<long>(type: "INTEGER", nullable: false),
                    sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    label = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    target_k = table.Column<int>(type: "INTEGER", nullable: true),
                    smallest_group = table.Column<long>(type: "INTEGER", nullable: true),
                    key_domain = table.Column<string>(type: "TEXT", maxLength: 80, nullable: true),
                    key_version = table.Column<int>(type: "INTEGER", nullable: true),
                    destination = table.Column<string>(type: "TEXT", maxLength: 260, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sharing_exports", x => x.id);
                    table.ForeignKey(
                        name: "FK_sharing_exports_sharing_agreements_agreement_id",
                        column: x => x.agreement_id,
                        principalTable: "sharing_agreements",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_pseudonym_vault_domain",
                table: "pseudonym_vault",
                column: "domain");

            migrationBuilder.CreateIndex(
                name: "IX_sharing_agreements_recipient_id",
                table: "sharing_agreements",
                column: "recipient_id");

            migrationBuilder.CreateIndex(
                name: "IX_sharing_agreements_reference",
                table: "sharing_agreements",
                column: "reference",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_sharing_agreements_year_sequence",
                table: "sharing_agreements",
                columns: new[] { "year", "sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_sharing_exports_agreement_id_finished_at",
                table: "sharing_exports",
                columns: new[] { "agreement_id", "finished_at" });

            migrationBuilder.CreateIndex(
                name: "IX_sharing_exports_finished_at",
                table: "sharing_exports",
                column: "finished_at");

            migrationBuilder.CreateIndex(
                name: "IX_sharing_recipients_name_key",
                table: "sharing_recipients",
                column: "name_key",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pseudonym_keys");

            migrationBuilder.DropTable(
                name: "pseudonym_vault");

            migrationBuilder.DropTable(
                name: "sharing_exports");

            migrationBuilder.DropTable(
                name: "pseudonym_domains");

            migrationBuilder.DropTable(
                name: "sharing_agreements");

            migrationBuilder.DropTable(
                name: "sharing_recipients");
        }
    }
}
