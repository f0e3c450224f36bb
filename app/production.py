"""The production gate (SECURITY.md "Production configuration gate"): refuse to start rather than run unsafely."""
from __future__ import annotations

from flask import Flask
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
    return problems


def demo_accounts_present() -> bool | None:
    """True/False when the database answers; None when it cannot be reached or is not migrated yet."""
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError


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
        if demo_accounts_present():
            problems.append("demo accounts are present in the database (remove them: they have a published password)")
    if problems:
        raise UnsafeConfiguration("Waypoint refuses to start in production: " + "; ".join(problems))
