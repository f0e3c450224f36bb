"""Finance rows people correct get a version for optimistic locking (spend, match contributions, secondments).

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('match_contributions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('secondments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), server_default='1', nullable=False))



def downgrade():
    with op.batch_alter_table('secondments', schema=None) as batch_op:
        batch_op.drop_column('version_id')

    with op.batch_alter_table('match_contributions', schema=None) as batch_op:
        batch_op.drop_column('version_id')

    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.drop_column('version_id')

