"""finance: grant years, budget lines, expenditure, match contributions, secondments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 04:42:30.959007

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grant_years',
    sa.Column('fy', sa.Integer(), nullable=False),
    sa.Column('funder', sa.String(length=200), nullable=False),
    sa.Column('allocation', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('match_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('grant_reference', sa.String(length=100), nullable=True),
    sa.Column('sro_name', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('allocation >= 0', name=op.f('ck_grant_years_allocation_not_negative')),
    sa.CheckConstraint('match_pct >= 0 AND match_pct <= 100', name=op.f('ck_grant_years_match_pct_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_years')),
    sa.UniqueConstraint('fy', name=op.f('uq_grant_years_fy'))
    )
    op.create_table('secondments',
    sa.Column('contributor', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('fte', sa.Numeric(precision=4, scale=3), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('annual_loaded_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('status', sa.Enum('pledged', 'evidenced', 'accepted', name='matchstatus', native_enum=False, length=40), nullable=False),
    sa.Column('evidence_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('annual_loaded_cost >= 0', name=op.f('ck_secondments_cost_not_negative')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_secondments_dates_in_order')),
    sa.CheckConstraint('fte > 0 AND fte <= 1', name=op.f('ck_secondments_fte_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_secondments'))
    )
    op.create_table('budget_lines',
    sa.Column('grant_year_id', sa.Integer(), nullable=False),
    sa.Column('line_type', sa.Enum('programme_team', 'evaluation', 'training', 'intervention', 'data_sharing', 'other', name='linetype', native_enum=False, length=40), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('planned', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('planned >= 0', name=op.f('ck_budget_lines_planned_not_negative')),
    sa.ForeignKeyConstraint(['grant_year_id'], ['grant_years.id'], name=op.f('fk_budget_lines_grant_year_id_grant_years')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_budget_lines_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_lines')),
    sa.UniqueConstraint('grant_year_id', 'name', name='uq_budget_lines_grant_year_id_name')
    )
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_lines_grant_year_id'), ['grant_year_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_lines_programme_id'), ['programme_id'], unique=False)

    op.create_table('match_contributions',
    sa.Column('grant_year_id', sa.Integer(), nullable=False),
    sa.Column('contributor', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('cash', 'in_kind', name='matchkind', native_enum=False, length=40), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pledged', 'evidenced', 'accepted', name='matchstatus', native_enum=False, length=40), nullable=False),
    sa.Column('evidence_note', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_match_contributions_amount_positive')),
    sa.ForeignKeyConstraint(['grant_year_id'], ['grant_years.id'], name=op.f('fk_match_contributions_grant_year_id_grant_years')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_contributions'))
    )
    with op.batch_alter_table('match_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_contributions_grant_year_id'), ['grant_year_id'], unique=False)

    op.create_table('expenditures',
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('funded_by_id', sa.Integer(), nullable=False),
    sa.Column('incurred_on', sa.Date(), nullable=False),
    sa.Column('fy', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('kind', sa.Enum('actual', 'forecast', name='spendkind', native_enum=False, length=40), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.Column('import_key', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_expenditures_amount_positive')),
    sa.CheckConstraint('quarter >= 1 AND quarter <= 4', name=op.f('ck_expenditures_quarter_range')),
    sa.ForeignKeyConstraint(['funded_by_id'], ['grant_years.id'], name=op.f('fk_expenditures_funded_by_id_grant_years')),
    sa.ForeignKeyConstraint(['line_id'], ['budget_lines.id'], name=op.f('fk_expenditures_line_id_budget_lines')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_expenditures_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expenditures')),
    sa.UniqueConstraint('import_key', name=op.f('uq_expenditures_import_key'))
    )
    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.create_index('ix_expenditures_funded_by_id_fy_quarter', ['funded_by_id', 'fy', 'quarter'], unique=False)
        batch_op.create_index(batch_op.f('ix_expenditures_line_id'), ['line_id'], unique=False)



def downgrade():
    with op.batch_alter_table('expenditures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expenditures_line_id'))
        batch_op.drop_index('ix_expenditures_funded_by_id_fy_quarter')

    op.drop_table('expenditures')
    with op.batch_alter_table('match_contributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_contributions_grant_year_id'))

    op.drop_table('match_contributions')
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_lines_programme_id'))
        batch_op.drop_index(batch_op.f('ix_budget_lines_grant_year_id'))

    op.drop_table('budget_lines')
    op.drop_table('secondments')
    op.drop_table('grant_years')
