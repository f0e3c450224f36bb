"""reporting indexes: the quarterly return's period aggregates read index ranges, not whole tables

Revision ID: 0006
Revises: 0005
Create Date: 2024-11-21

Plain CREATE INDEX on both databases (no table rebuild on SQLite). On a large PostgreSQL table an
operator may prefer to build them CONCURRENTLY by hand before upgrading; the names match, so create_index
is then skipped by running ``flask db stamp 0005`` instead.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = [
    # contacts delivered in a quarter (section D2)
    ("ix_contacts_occurred_at_attended_referral_id", "contacts", ["occurred_at", "attended", "referral_id"]),
    # referrals received in the quarter and trial arms year to date (D2, G1), index-only
    ("ix_referrals_referred_on_programme_id_trial_arm", "referrals", ["referred_on", "programme_id", "trial_arm"]),
    # outcomes and measures of the year to date (section F)
    ("ix_outcomes_achieved_on", "outcomes", ["achieved_on"]),
    ("ix_outcome_measures_measured_on", "outcome_measures", ["measured_on"]),
]


# The counting engine's (programme_id, reached_on) index, widened so continuing caseload needs no table reads.
NARROW = ("ix_referrals_programme_id_reached_on", ["programme_id", "reached_on"])
WIDE = ("ix_referrals_programme_reached_arm_closed_person",
        ["programme_id", "reached_on", "trial_arm", "closed_on", "person_id"])


def upgrade():
    op.create_index(WIDE[0], "referrals", WIDE[1], unique=False)
    op.drop_index(NARROW[0], table_name="referrals")
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.create_index(NARROW[0], "referrals", NARROW[1], unique=False)
    op.drop_index(WIDE[0], table_name="referrals")
