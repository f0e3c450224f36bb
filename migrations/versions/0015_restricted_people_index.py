"""people: a partial index of the restricted people only, for the "not restricted" check every caseload runs

Revision ID: 0015
Revises: 0014

Roles that may not see restricted people have every referral and person filtered by "is this person
restricted?". Without an index holding only restricted people, PostgreSQL answered it by reading the whole
people table on every caseload page (100,000 rows at national scale, to find none).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_people_restricted_id", "people", ["id"], unique=False,
                    postgresql_where=sa.text("restricted IS true"), sqlite_where=sa.text("restricted IS 1"))


def downgrade():
    op.drop_index("ix_people_restricted_id", table_name="people")
