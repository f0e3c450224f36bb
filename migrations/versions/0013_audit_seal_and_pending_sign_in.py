"""audit events are sealed into a keyed chain after they are written (seq; hash and prev_hash set by the sealer);
the "password accepted" step of a sign-in is held on the server, single-use (users.pending_sign_in_*)

Revision ID: 0013
Revises: 0012

Upgrading unseals every existing event (their old, unkeyed hashes are dropped): the next `flask audit seal`,
`checkpoint` or `verify` seals them all, in id order, under WAYPOINT_AUDIT_KEY. Run `flask audit verify` with the
previous version first if you want the old chain checked before it is replaced.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint("uq_audit_events_seq", ["seq"])
    op.execute("UPDATE audit_events SET hash = NULL, prev_hash = NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_sign_in_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("pending_sign_in_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("pending_sign_in_at")
        batch_op.drop_column("pending_sign_in_hash")
    # The old chain was unkeyed SHA-256 in id order; give every event a placeholder link so the NOT NULL holds
    # (`flask audit verify` of the older version then reports the chain as needing a fresh start).
    op.execute("UPDATE audit_events SET prev_hash = '" + "0" * 64 + "' WHERE prev_hash IS NULL")
    op.execute("UPDATE audit_events SET hash = 'unsealed-' || CAST(id AS VARCHAR(20)) WHERE hash IS NULL")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_events_seq", type_="unique")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("seq")
