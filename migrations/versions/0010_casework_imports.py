"""casework imports: saved mappings per organisation, import runs, external references already imported

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_mappings",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("defaults", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_import_mappings_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_import_mappings_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("organisation_id", "name", name="uq_import_mappings_organisation_id"),
    )
    with op.batch_alter_table("import_mappings") as batch_op:
        batch_op.create_index(batch_op.f("ix_import_mappings_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "import_runs",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("mapping_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.Enum("uploaded", "checking", "checked", "importing", "imported", "refused",
                                    name="runstatus", native_enum=False, length=40), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_import_runs_created_by_id_users")),
        sa.ForeignKeyConstraint(["mapping_id"], ["import_mappings.id"],
                                name=op.f("fk_import_runs_mapping_id_import_mappings")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_import_runs_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("import_runs") as batch_op:
        batch_op.create_index(batch_op.f("ix_import_runs_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "imported_records",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("external_ref", sa.String(length=200), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_imported_records_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["run_id"], ["import_runs.id"], name=op.f("fk_imported_records_run_id_import_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_records")),
        sa.UniqueConstraint("organisation_id", "kind", "external_ref", name="uq_imported_records_organisation_id"),
    )
    with op.batch_alter_table("imported_records") as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_records_run_id"), ["run_id"], unique=False)


def downgrade():
    op.drop_table("imported_records")
    op.drop_table("import_runs")
    op.drop_table("import_mappings")
