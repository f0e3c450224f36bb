"""Authentication use cases."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.auth.models import User
from app.auth.passwords import hash_password, verify_password
from app.db import db, utcnow

SIGN_IN_FAILED = "Enter a correct email address and password"


def authenticate(email: str, password: str) -> User | None:
    """Check credentials, counting failures in the database so lockout holds across workers."""
    email = (email or "").strip().lower()
    user = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == email)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    now = utcnow()
    if user is None:
        audit.record(None, "auth.sign_in_failed", detail={"email": email[:254], "reason": "unknown"})
        return None
    if user.locked_until and user.locked_until > now:
        audit.record(user, "auth.sign_in_failed", user, detail={"reason": "locked"})
        return None
    if not ok or not user.active:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            user.failed_logins = 0
            audit.record(user, "auth.locked_out", user)
        audit.record(user, "auth.sign_in_failed", user,
                     detail={"reason": "disabled" if ok else "bad_password"})
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(user, "auth.signed_in", user)
    return user


def create_user(*, email: str, full_name: str, password: str, role, organisation, is_demo: bool = False) -> User:
    user = User(email=email.strip().lower(), full_name=full_name, password_hash=hash_password(password),
                role=role, organisation=organisation, is_demo=is_demo)
    db.session.add(user)
    db.session.flush()
    return user
