"""clocks and reminders: first-contact clock settings per programme, reminder choices per account, and the
record of every reminder e-mail (its unique key makes `flask reminders send` safe to run twice)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programme_clocks',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('first_contact_within', sa.Integer(), nullable=True),
    sa.Column('first_contact_unit', sa.Enum('hours', 'working_days', name='clockunit', native_enum=False, length=40), nullable=False),
    sa.Column('amber_hours', sa.Integer(), server_default='4', nullable=False),
    sa.Column('baseline_within_days', sa.Integer(), nullable=True),
    sa.Column('review_at_weeks', sa.Integer(), nullable=True),
    sa.Column('exit_at_close', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amber_hours >= 0', name=op.f('ck_programme_clocks_amber_not_negative')),
    sa.CheckConstraint('first_contact_within IS NULL OR first_contact_within > 0', name=op.f('ck_programme_clocks_within_positive')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_clocks_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_clocks')),
    sa.UniqueConstraint('programme_id', name=op.f('uq_programme_clocks_programme_id'))
    )
    op.create_table('reminder_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('daily_digest', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('on_assignment', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('clock_warning', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('breaches', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('show_initials', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('assignments_since', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reminder_preferences_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_preferences')),
    sa.UniqueConstraint('user_id', name=op.f('uq_reminder_preferences_user_id'))
    )
    op.create_table('sent_reminders',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('digest', 'assigned', 'clock', 'breach', name='reminderkind', native_enum=False, length=40), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'cancelled', name='reminderstatus', native_enum=False, length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('planned_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_sent_reminders_person_id_people')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_sent_reminders_referral_id_referrals')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sent_reminders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminders')),
    sa.UniqueConstraint('key', name='uq_sent_reminders_key')
    )
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_reminders_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sent_reminders_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index('ix_sent_reminders_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sent_reminders_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sent_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_reminders_user_id'))
        batch_op.drop_index('ix_sent_reminders_status_id')
        batch_op.drop_index(batch_op.f('ix_sent_reminders_referral_id'))
        batch_op.drop_index(batch_op.f('ix_sent_reminders_person_id'))

    op.drop_table('sent_reminders')
    op.drop_table('reminder_preferences')
    op.drop_table('programme_clocks')
