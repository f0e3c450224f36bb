"""people.age_not_known_reason: an explicit "age not known" with its reason, instead of silence

Revision ID: 0014
Revises: 0013

Existing people with neither a date of birth nor an estimated age keep a NULL reason: nothing is made up for
them. The pages show them as "Age not recorded" with a prompt to fix it, and the data-quality page lists them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("age_not_known_reason", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("age_not_known_reason")
