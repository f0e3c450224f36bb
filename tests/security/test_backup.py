"""SECURITY.md §9: a backup is restored into a scratch database and every table matches (row counts and
checksums); a change made after the backup is detected, so the drill can fail."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401  (sa.orm)

from app.db import db


def test_backup_restore_drill(app):
    from flask_migrate import upgrade

    from app import create_app
    from app.backup import create_backup, verify_backup
    from app.demo import build_demo
    from tests.conftest import ensure_postgres_database, reset_database

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    folder = Path(tempfile.mkdtemp(prefix="waypoint-backup-"))
    if url.startswith("postgresql"):
        base = sa.engine.make_url(url)
        other = base.set(database=base.database + "_backup").render_as_string(hide_password=False)
        ensure_postgres_database(other)
    else:
        other = f"sqlite:///{folder / 'live.db'}"
    reset_database(other)
    second = create_app("test", {"SQLALCHEMY_DATABASE_URI": other})
    with second.app_context():
        upgrade()
        engine = db.engine
        # The suite's db.session is bound to the main test database; build the live data through this one.
        suite_session = db.session
        db.session = sa.orm.scoped_session(sa.orm.sessionmaker(bind=engine))
        try:
            build_demo("backup drill password", people=40, today=date(2025, 5, 1))
            db.session.commit()
            people = db.session.execute(sa.text("SELECT count(*) FROM people")).scalar_one()
        finally:
            db.session.remove()
            db.session = suite_session
        assert people >= 40
        backup_file = create_backup(other, folder / "waypoint.backup")
        assert backup_file.stat().st_size > 0
        tables, differ = verify_backup(other, backup_file)
        print(f"\nrestore drill: {tables} tables restored, {len(differ)} differ (row counts and checksums)")
        assert tables >= 20 and differ == []
        # A change after the backup must show up: the drill is able to fail.
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE organisations SET name = name || ' (renamed)' WHERE id = 1"))
        _, differ_after = verify_backup(other, backup_file)
        assert differ_after == ["organisations"]
        engine.dispose()


def test_backup_cli(app, tmp_path):
    """The CLI refuses an unsupported URL with a clear message rather than a traceback."""
    from click import UsageError

    from app.backup import create_backup

    try:
        create_backup("mysql://nobody@localhost/none", tmp_path / "x")
    except UsageError as exc:
        assert "not supported" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected a UsageError")
