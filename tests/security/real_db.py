"""An app of its own on a database of its own, with real commits (for tests of concurrency and of what the
database holds after a request). The kind of database follows the run: SQLite by default, PostgreSQL when
WAYPOINT_TEST_DB=postgres (a sibling database of TEST_DATABASE_URL, suffixed with the test's name)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

import config


def database_url(tmp_path: Path, name: str) -> str:
    if config.test_target() == "postgres":
        base = sa.engine.make_url(config.test_database_url())
        return base.set(database=f"{base.database}_{name}").render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / (name + '.db')}"


@contextmanager
def committing_app(tmp_path: Path, name: str, **overrides):
    from flask_migrate import upgrade

    from app import create_app
    from app.db import db
    from tests.conftest import ensure_postgres_database, reset_database

    url = database_url(tmp_path, name)
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    reset_database(url)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, **overrides})
    # Not for tests that also use the suite's `app` fixture: that one swaps db.session for a session bound to
    # the suite's own connection.
    with app.app_context():
        upgrade()
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
