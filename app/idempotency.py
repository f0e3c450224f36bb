"""Idempotent creates (SECURITY.md §8): a double tap, a retry after a timeout or an offline replay never makes two
records. One mechanism serves both doors:

* **Forms** carry a hidden, random ``idempotency_token`` (``IdempotencyTokenField``). The view claims the token
  *first* in its transaction (``claim_form``); a second submission of the same form (same token, same person) lands
  on the first one's result — a redirect to the record the first one made — instead of creating another::

      if form.validate_on_submit():
          replay = idempotency.claim_form(form, current_user)
          if replay is not None:
              return replay                      # already saved: go to what the first submission made
          contact = services.log_contact(...)
          location = url_for("referrals.case", referral_id=contact.referral_id)
          idempotency.finish_form(form, current_user, location)
          db.session.commit()
          return redirect(location)

* **The API**'s ``Idempotency-Key`` header: ``run_once(scope, key, fingerprint, call)`` (or the ``idempotent``
  decorator) stores the key with its scope (who it belongs to: the person, or an organisation's system — never one
  token, since tokens are renewed; see app/api/core.py ``idempotency_scope``), a fingerprint of the request
  and the first response (status, body, Location). A retry with the same key and the same request gets the first
  answer again (header ``Idempotent-Replayed: true``); the same key with a different request is refused with 422;
  a retry while the first is still being processed gets 409.

Why it holds under concurrency: the key row is inserted in the same transaction as the record it guards, before
the work starts. On PostgreSQL a second transaction inserting the same (scope, key) waits on the unique index
until the first commits, then fails and reads the first's result; on SQLite every write transaction begins
IMMEDIATE (app/sqlite.py), so the second starts only after the first has committed.

Keys are kept for ``IDEMPOTENCY_KEEP_HOURS`` (24 by default); ``purge_expired`` removes older ones.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, flash, jsonify, make_response, redirect, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response
from wtforms import HiddenField

from app.db import Model, db, utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
FORM_FIELD = "idempotency_token"
ALREADY_SAVED = "This was already saved. You are seeing what was saved the first time."


class IdempotencyKey(Model):
    """One claimed key: whose it is (scope), what was asked (fingerprint) and the first answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
                      sa.Index("ix_idempotency_keys_created_at", "created_at"))

    scope: Mapped[str] = mapped_column(sa.String(80))
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int | None]  # None while the first request is still being processed
    body: Mapped[str | None] = mapped_column(sa.Text)
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    location: Mapped[str | None] = mapped_column(sa.String(500))


# --- the shared core ------------------------------------------------------------------------------------------

def fingerprint_of(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def request_fingerprint() -> str:
    """Method, path, query and body of the current request: a retry of the same request has the same one."""
    return fingerprint_of(request.method, request.path, request.query_string, request.get_data(cache=True))


def lookup(scope: str, key: str) -> IdempotencyKey | None:
    return db.session.execute(
        sa.select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    ).scalar_one_or_none()


def claim(scope: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Claim (scope, key) in the current transaction. Returns None when the claim is ours (go ahead and do the
    work), or the stored row of an earlier claim (do not do the work again)."""
    existing = lookup(scope, key)
    if existing is not None:
        return existing
    try:
        with db.session.begin_nested():  # a savepoint: losing the race undoes only this insert
            db.session.add(IdempotencyKey(scope=scope, key=key, fingerprint=fingerprint))
    except IntegrityError:
        # Someone claimed it between our look-up and our insert, and has committed since.
        return lookup(scope, key)
    return None


def release(scope: str, key: str) -> None:
    """Give up an unanswered claim (the request was refused or failed after something committed it)."""
    db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key,
                                                       IdempotencyKey.status.is_(None)))
    db.session.commit()


def record_result(scope: str, key: str, fingerprint: str, *, status: int, body: str | None = None,
                  content_type: str | None = None, location: str | None = None) -> IdempotencyKey:
    """Store the first answer. If the work rolled the transaction back (a refused request), the claim went with it
    and is made again here, so the stored answer is what a retry gets."""
    row = lookup(scope, key)
    if row is None:
        row = IdempotencyKey(scope=scope, key=key, fingerprint=fingerprint)
        db.session.add(row)
    row.status, row.body, row.content_type, row.location = status, body, content_type, (location or None)
    db.session.flush()
    return row


def purge_expired(now: datetime | None = None) -> int:
    hours = current_app.config.get("IDEMPOTENCY_KEEP_HOURS", 24)
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    result = db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return result.rowcount or 0


# --- the API door ---------------------------------------------------------------------------------------------

def _problem(status: int, message: str) -> Response:
    response = jsonify(error=message, status=status)
    response.status_code = status
    return response


def replay(row: IdempotencyKey, fingerprint: str) -> Response:
    """The answer to a repeated key: the first response, or why it cannot be given."""
    if row.fingerprint != fingerprint:
        return _problem(422, f"This {HEADER} was already used for a different request. Use a new key for a new "
                             "request.")
    if row.status is None:
        response = _problem(409, "The first request with this key is still being processed. Try again shortly.")
        response.headers["Retry-After"] = "1"
        return response
    response = make_response(row.body or "", row.status)
    if row.content_type:
        response.headers["Content-Type"] = row.content_type
    if row.location:
        response.headers["Location"] = row.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def run_once(scope: str, key: str, fingerprint: str, call: Callable[[], object]) -> Response:
    """Run ``call`` (a view body returning anything Flask can turn into a response) at most once per
    (scope, key). Server errors are not stored: the same key may be tried again after one."""
    stored = claim(scope, key, fingerprint)
    if stored is not None:
        return replay(stored, fingerprint)
    response = make_response(call())
    if response.status_code >= 500:
        db.session.rollback()
        return response
    body = response.get_data(as_text=True) if not response.is_streamed else None
    record_result(scope, key, fingerprint, status=response.status_code, body=body,
                  content_type=response.headers.get("Content-Type"), location=response.headers.get("Location"))
    db.session.commit()
    return response


def header_key() -> str | None:
    """The request's Idempotency-Key (stripped), None when absent. Raises ValueError when unusable."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValueError(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


def idempotent(scope: Callable[[], str]):
    """Decorate an API view: with an Idempotency-Key header the view runs at most once per (scope(), key).
    ``scope`` returns who the key belongs to, e.g. ``lambda: f"user:{current_user.id}"`` (the caller, not its token). Without the header the
    view runs as usual."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            try:
                key = header_key()
            except ValueError as exc:
                return _problem(400, str(exc))
            if key is None:
                return view(*args, **kwargs)
            return run_once(scope(), key, request_fingerprint(), lambda: view(*args, **kwargs))

        return wrapped

    return decorator


# --- the form door --------------------------------------------------------------------------------------------

def new_token() -> str:
    return secrets.token_urlsafe(24)


class IdempotencyTokenField(HiddenField):
    """A hidden field holding a fresh random token each time the form is shown (kept when it is redisplayed with
    errors, so the corrected submission is still the same one)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", new_token)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        value = (valuelist[0] if valuelist else "") or ""
        value = value.strip()
        # A tampered or missing token still lets the person save; it just cannot protect against a double post.
        self.data = value if 0 < len(value) <= MAX_KEY_LENGTH and value.isprintable() else new_token()


def _form_scope(actor) -> str:
    return f"user:{getattr(actor, 'id', None) or 'anonymous'}"


def _form_fingerprint(form) -> str:
    return fingerprint_of("form", request.path, type(form).__name__)


def claim_form(form, actor) -> Response | None:
    """Claim the form's token for ``actor``. None: go ahead and save. A response: this form was already submitted;
    it redirects to what the first submission made (or back to this page, if that is not known)."""
    token = getattr(form, FORM_FIELD).data or new_token()
    getattr(form, FORM_FIELD).data = token
    stored = claim(_form_scope(actor), token, _form_fingerprint(form))
    if stored is None:
        return None
    flash(ALREADY_SAVED, "info")
    return redirect(stored.location or request.path)


def finish_form(form, actor, location: str) -> None:
    """Record where the first submission went, in the same transaction as what it saved."""
    token = getattr(form, FORM_FIELD).data
    record_result(_form_scope(actor), token, _form_fingerprint(form), status=303, location=location)


def form_body_fingerprint() -> str:
    """For callers wanting a stricter form check: the posted fields, less the CSRF token."""
    fields = {k: request.form.getlist(k) for k in sorted(request.form) if k != "csrf_token"}
    return fingerprint_of(json.dumps(fields, sort_keys=True))
