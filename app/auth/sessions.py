"""Server-side, revocable sign-in sessions (SECURITY.md §5).

Flask's signed cookie carries only a random session id (and Flask-Login's user id). Every request
looks the id up here: unknown, revoked, idle past SESSION_IDLE_MINUTES or older than
SESSION_ABSOLUTE_HOURS means signed out. Sign-in mints a fresh id (no session fixation); sign-out,
a password change or disabling the account revokes every session the user has.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request, session

from app.auth.models import User, UserSession
from app.db import db, utcnow

SESSION_KEY = "sid"
# Touching last_seen_at on every request would make every page view a write; a minute's slack is
# far inside the idle timeout.
TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> UserSession:
    """Begin a new session for `user`, replacing whatever the cookie held before."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(user_id=user.id, token_hash=_hash(token), created_at=now, last_seen_at=now)
    if has_request_context():
        row.ip = (request.remote_addr or "")[:64] or None
        row.user_agent = (request.headers.get("User-Agent") or "")[:300] or None
    db.session.add(row)
    db.session.flush()
    session.clear()
    session[SESSION_KEY] = token
    session.permanent = False
    g.user_session = row
    return row


def revoke_all(user: User, reason: str) -> int:
    """End every live session of `user`; returns how many were ended."""
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason[:60])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def expired(row: UserSession, now) -> str | None:
    cfg = current_app.config
    if row.revoked_at is not None:
        return "revoked"
    if now - row.last_seen_at > timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        return "idle"
    if now - row.created_at > timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]):
        return "absolute"
    return None


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user only if the cookie's session is live and theirs."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    row = db.session.execute(
        sa.select(UserSession).where(UserSession.token_hash == _hash(token))
    ).scalar_one_or_none()
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        return None
    now = utcnow()
    why = "unknown" if row is None or row.user_id != uid else expired(row, now)
    if why is not None:
        session.clear()
        if why in ("idle", "absolute"):
            g.session_ended = why
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active:
        session.clear()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        # The loader runs before the view does anything, so this commit carries nothing else.
        row.last_seen_at = now
        db.session.commit()
    g.user_session = row
    return user
