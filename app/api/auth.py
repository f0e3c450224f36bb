"""Bearer tokens, and only bearer tokens, authenticate API calls (issue 9, item 2).

A browser's session cookie is never consulted here: the signed-in user is set from the token alone, so a
page open in the same browser cannot make API calls on its own (and the API needs no CSRF token).
Every use of a token is audited as `api.request`.
"""
from __future__ import annotations

from flask import current_app, g, request

from app import audit
from app.api.problems import problem
from app.db import db
from app.tokens import services as tokens
from app.tokens.models import TokenKind


class ServiceActor:
    """A service token's account for the length of one request. The account's row is inactive on purpose (it
    can never sign in to the pages nor be offered as a worker), and Flask-Login counts an inactive user as
    signed out, so the token's live status stands in for it here. Everything else is the account's own."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, account):
        self._account = account

    def __getattr__(self, name):
        return getattr(self._account, name)

    def get_id(self) -> str:
        return str(self._account.id)


def client_ip() -> str | None:
    return (request.remote_addr or "")[:64] or None


def authenticate_request():
    """before_request of every API blueprint: a live token, or 401 (problem+json)."""
    g._login_user = current_app.login_manager.anonymous_user()  # the cookie never stands in for a token
    scheme, _, raw = (request.headers.get("Authorization") or "").partition(" ")
    token = tokens.authenticate(raw.strip(), client_ip()) if scheme.lower() == "bearer" else None
    if token is None:
        db.session.rollback()
        audit.record(None, "api.refused", detail={"method": request.method, "endpoint": request.endpoint,
                                                  "reason": "no token" if not raw else "unknown, expired or revoked"})
        db.session.commit()
        return problem(401, "Send a live API token as ‘Authorization: Bearer …’. Browser sign-ins do not "
                            "work here. Make a token on ‘Your account’, or ask an administrator for a service token.")
    actor = ServiceActor(token.user) if token.kind is TokenKind.SERVICE else token.user
    g._login_user = actor
    g.api_token = token
    audit.record(actor, "api.request", token, detail={
        "token": token.id, "kind": token.kind.value, "method": request.method, "endpoint": request.endpoint,
        "path": request.path[:200]})
    db.session.commit()
    return None
