"""Rate limits per client (SECURITY.md §4): one Flask-Limiter for the whole app, shared by the pages and the API.

Storage: Redis when ``REDIS_URL`` is set (config.py turns it into ``RATELIMIT_STORAGE_URI``), so every gunicorn
worker and every app server counts against the same numbers. Without ``REDIS_URL`` the counts are kept in each
process's memory: correct for one process (``flask run``, one gunicorn worker), but with N workers a client gets up to
N times the limit, so the production gate refuses memory storage unless ``WAYPOINT_WORKERS`` is 1. If Redis goes
away while the app runs, counting carries on in memory (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``) and requests are
not refused because of the outage (``RATELIMIT_SWALLOW_ERRORS``); it returns to Redis when Redis is back.

Using it::

    from app.limits import limiter, client_ip, configured

    @bp.route("/tokens", methods=["POST"])
    @limiter.limit(configured("API_TOKEN_RATE_LIMIT"), key_func=client_ip, methods=["POST"])
    def create_token(): ...

``configured(name)`` reads the limit string ("10 per minute; 100 per hour") from the app's config at request time,
so a setting changes it without a code change. A refused request raises ``RateLimitExceeded`` (a 429), which
app/error_pages.py turns into a page in plain words (or JSON under /api/) with a ``Retry-After`` header.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app, request
from flask_limiter import Limiter, RateLimitExceeded

__all__ = ["limiter", "client_ip", "configured", "account_key", "account_and_ip_key", "RateLimitExceeded",
           "retry_after_seconds", "reset"]


def client_ip() -> str:
    """The client's address. Behind a proxy, werkzeug's ProxyFix (app/security.py, ``PROXY_COUNT``) has already
    replaced remote_addr with the address the trusted proxies saw; a client's own X-Forwarded-For is ignored."""
    return request.remote_addr or "unknown"


def _account_hash(value: str) -> str:
    """Accounts are counted by a hash of the lower-cased email, so Redis never holds email addresses."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def account_key(field: str = "email") -> Callable[[], str]:
    """A key function counting per account named in the posted form (sign-in), whoever sends it."""

    def key() -> str:
        return "account:" + _account_hash(request.form.get(field, "") or "")

    return key


def account_and_ip_key(field: str = "email") -> Callable[[], str]:
    """A key function counting per account *and* client address: an attacker elsewhere uses up their own
    allowance for the account, not the allowance of the person at their usual desk."""

    def key() -> str:
        return f"account-ip:{_account_hash(request.form.get(field, '') or '')}:{client_ip()}"

    return key


def configured(name: str) -> Callable[[], str]:
    """A limit read from the app's config when the request arrives."""
    return lambda: current_app.config[name]


def retry_after_seconds(exc: RateLimitExceeded) -> int | None:
    """How long until the limit that refused the request lets the client in again (for the 429 page)."""
    item = getattr(getattr(exc, "limit", None), "limit", None)
    return int(item.get_expiry()) if item is not None else None


def reset() -> None:
    """Forget every count (tests start each case from zero)."""
    try:
        limiter.reset()
    except Exception:  # noqa: BLE001 - an unreachable store has nothing to forget
        pass


limiter = Limiter(key_func=client_ip, default_limits=[])
