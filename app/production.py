"""The production gate (SECURITY.md "Production configuration gate"): refuse to start rather than run unsafely."""
from __future__ import annotations

import sys

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.auth.models import User
from app.db import db

DEV_SECRET = "dev-only-not-secret-change-me"
MIN_SECRET_LENGTH = 32


class UnsafeConfiguration(RuntimeError):
    pass


def config_problems(config) -> list[str]:
    problems = []
    if config.get("DEBUG"):
        problems.append("DEBUG is on")
    if config.get("TESTING"):
        problems.append("TESTING is on")
    secret = config.get("SECRET_KEY") or ""
    if not secret:
        problems.append("SECRET_KEY is not set")
    elif secret == DEV_SECRET or "not-secret" in secret or "test-secret" in secret:
        problems.append("SECRET_KEY is the development default")
    elif len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < 10:
        problems.append(f"SECRET_KEY is weak (use at least {MIN_SECRET_LENGTH} random characters, "
                        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE is off (cookies would travel over plain HTTP)")
    if not config.get("SESSION_COOKIE_HTTPONLY"):
        problems.append("SESSION_COOKIE_HTTPONLY is off")
    if config.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        problems.append("SESSION_COOKIE_SAMESITE must be Lax or Strict")
    if not config.get("WTF_CSRF_ENABLED", True):
        problems.append("CSRF protection is off")
    audit_key = config.get("AUDIT_KEY") or ""
    if not audit_key:
        problems.append("WAYPOINT_AUDIT_KEY is not set (the audit chain's key, kept outside the database)")
    elif "not-secret" in audit_key or "not-for-production" in audit_key or len(audit_key) < MIN_SECRET_LENGTH:
        problems.append(f"WAYPOINT_AUDIT_KEY is weak or a default (use at least {MIN_SECRET_LENGTH} random characters)")
    elif audit_key == secret:
        problems.append("WAYPOINT_AUDIT_KEY must differ from SECRET_KEY")
    if int(config.get("HSTS_SECONDS") or 0) < 24 * 3600:
        problems.append("Strict-Transport-Security is off or shorter than a day (HSTS_SECONDS)")
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory") and int(config.get("WAYPOINT_WORKERS") or 1) > 1:
        problems.append(f"rate limits would be counted separately by each of the {config.get('WAYPOINT_WORKERS')} "
                        "workers (set REDIS_URL so they share one count, or run one worker: WAYPOINT_WORKERS=1)")
    return problems


def _running_migrations() -> bool:
    """`flask … db upgrade` must be able to start the app to bring the database up to date."""
    args = sys.argv[1:]
    return "db" in args and "flask" in sys.argv[0]


def database_problems(app: Flask) -> list[str]:
    """The database must answer, and be at the migration this version of Waypoint was written for."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    where = url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError:
        return [f"the database cannot be reached at {where} (check DATABASE_URL, and that the database server is "
                "running and accepts this user)"]
    finally:
        db.engine.dispose()
    if _running_migrations():
        return []
    head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
    if current != head:
        return [f"the database is not up to date (it is at migration {current or 'none'}, this version needs {head}): "
                "run `flask --app wsgi db upgrade` first"]
    return []


def demo_accounts_present() -> bool | None:
    """True/False when the database answers; None when it cannot be reached or is not migrated yet."""
    try:
        found = db.session.execute(sa.select(User.id).where(User.is_demo.is_(True)).limit(1)).first()
    except SQLAlchemyError:
        db.session.rollback()
        return None
    finally:
        db.session.remove()
    return found is not None


def check_production(app: Flask) -> None:
    problems = config_problems(app.config)
    with app.app_context():
        unusable = database_problems(app)
        problems += unusable
        if not unusable and demo_accounts_present():
            problems.append("demo accounts are present in the database (remove them: they have a published password)")
    if problems:
        raise UnsafeConfiguration("Waypoint refuses to start in production: " + "; ".join(problems) + ".")
