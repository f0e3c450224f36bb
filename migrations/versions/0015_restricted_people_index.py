"""people and contacts: indexes for the checks and searches every caseload, search and return runs

Revision ID: 0015
Revises: 0014

- A partial index of the restricted people only. Roles that may not see restricted people have every
  referral and person filtered by "is this person restricted?"; without it PostgreSQL answered that by reading
  the whole people table on every caseload page (100,000 rows at national scale, to find none).
- An index on lower(police_reference), the search's "a police reference typed exactly" branch.
- An index of the contacts recorded offline only, by when they happened: the return's note on offline
  arrivals read every contact of the quarter to find the few recorded on a device without a connection.
- On PostgreSQL, a trigram index (pg_trgm) on name_key, so "a name containing these letters" reads the index
  instead of every person. pg_trgm ships with PostgreSQL and is a trusted extension (PostgreSQL 13 and later):
  the database's owner may create it. Where it cannot be created, the migration says so and goes on without
  the index — searches stay correct, only slower at national scale.
"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    op.create_index("ix_people_restricted_id", "people", ["id"], unique=False,
                    postgresql_where=sa.text("restricted IS true"), sqlite_where=sa.text("restricted IS 1"))
    op.create_index("ix_people_police_reference_lower", "people", [sa.text("lower(police_reference)")], unique=False)
    op.create_index("ix_contacts_offline_occurred_at", "contacts", ["occurred_at"], unique=False,
                    postgresql_where=sa.text("recorded_offline_at IS NOT NULL"),
                    sqlite_where=sa.text("recorded_offline_at IS NOT NULL"))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():  # a savepoint: a refusal must not abort the rest of the upgrade
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm could not be created (%s): people search will read the whole people table. "
                    "A superuser can run CREATE EXTENSION pg_trgm and then this migration's index by hand.",
                    " ".join(str(exc.orig).split()))
        return
    op.create_index("ix_people_name_key_trgm", "people", ["name_key"], unique=False, postgresql_using="gin",
                    postgresql_ops={"name_key": "gin_trgm_ops"})


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP INDEX IF EXISTS ix_people_name_key_trgm")
    op.drop_index("ix_contacts_offline_occurred_at", table_name="contacts")
    op.drop_index("ix_people_police_reference_lower", table_name="people")
    op.drop_index("ix_people_restricted_id", table_name="people")
