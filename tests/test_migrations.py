"""One head; models match the migrated schema; upgrade → downgrade → upgrade with rows present."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db import db


def _scripts(app):
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_single_head(app):
    heads = _scripts(app).get_heads()
    assert len(heads) == 1, f"multiple migration heads: {heads}"


def test_revision_files_are_sequential(app):
    revs = sorted(s.revision for s in _scripts(app).walk_revisions())
    assert revs == [f"{i:04d}" for i in range(1, len(revs) + 1)]


# SQLite's reflection cannot read expression indexes (lower(police_reference)): alembic skips them there, saying so.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_models_match_migrated_schema(app):
    conn = db.session.connection()  # the test's own connection: SQLite allows one writer
    from app.referrals.models import PG_ONLY_INDEXES

    def include(obj, name, kind, reflected, compare_to):  # indexes declared only in migrations, on PostgreSQL
        return not (kind == "index" and reflected and compare_to is None and name in PG_ONLY_INDEXES
                    and conn.dialect.name == "postgresql")

    ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include})
    diff = compare_metadata(ctx, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_upgrade_downgrade_upgrade_with_rows(app):
    """Runs on a separate database of the same kind so the session's database is untouched."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.conftest import ensure_postgres_database, reset_database

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        other = str(sa.engine.make_url(url).set(database=sa.engine.make_url(url).database + "_migrations"))
        ensure_postgres_database(other)
    else:
        other = f"sqlite:///{Path(tempfile.mkdtemp()) / 'migrations.db'}"
    reset_database(other)
    second = create_app("test", {"SQLALCHEMY_DATABASE_URI": other})
    with second.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organisations (name, kind, active, created_at, updated_at) "
                                 "VALUES ('Kept Org', 'vcs_provider', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        head = _scripts(second).get_current_head()
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert "organisations" not in sa.inspect(conn).get_table_names()
        upgrade()
        with db.engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
            tables = set(sa.inspect(conn).get_table_names())
        assert version == head
        assert {"people", "referrals", "contacts", "audit_events"} <= tables
        # Step down one revision and back up with rows present, when there is more than one.
        revisions = list(_scripts(second).walk_revisions())
        if len(revisions) > 1:
            with db.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO organisations (name, kind, active, created_at, updated_at) "
                                     "VALUES ('Kept Org 2', 'vcs_provider', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            downgrade(revision="-1")
            upgrade()
            with db.engine.connect() as conn:
                n = conn.execute(sa.text("SELECT count(*) FROM organisations WHERE name = 'Kept Org 2'")).scalar_one()
            assert n == 1
        db.session.remove()
        db.engine.dispose()
