"""audit: an index on (person_id, occurred_at, id) for a case's timeline, read in time order for one person

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_events_person_id_occurred_at", "audit_events", ["person_id", "occurred_at", "id"],
                    unique=False)


def downgrade():
    op.drop_index("ix_audit_events_person_id_occurred_at", table_name="audit_events")
