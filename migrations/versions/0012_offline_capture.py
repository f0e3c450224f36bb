"""offline capture: devices that keep a caseload offline; when a contact or referral was saved on a device

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "offline_devices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        sa.Column("key_material", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=60), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_offline_devices_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offline_devices")),
        sa.UniqueConstraint("device_hash", name=op.f("uq_offline_devices_device_hash")),
    )
    with op.batch_alter_table("offline_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offline_devices_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_offline_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_offline_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("recorded_offline_at")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("recorded_offline_at")
    with op.batch_alter_table("offline_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offline_devices_user_id"))
    op.drop_table("offline_devices")
