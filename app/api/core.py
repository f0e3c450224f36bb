"""What every API route shares: the flask-smorest Api, ETag / If-Match from version_id, and cursor paging."""
from __future__ import annotations

import hashlib
import http
from functools import wraps

import sqlalchemy as sa
from flask import abort, g, make_response, request
from flask_login import current_user
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from app.api.auth import authenticate_request
from app.auth.policies import get_referral_for
from app import idempotency
from app.api.problems import problem
from app.db import db
from app.limits import client_ip, configured, limiter
from app.schemas import ProblemSchema, encode_cursor
from app.tokens.models import TokenKind

PROBLEM_JSON = "application/problem+json"

IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "The ETag you read (e.g. \"3\"); if the record changed since, nothing is saved and "
                           "the answer is 412"}
IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
                   "description": "Any unique text (a UUID): a retry with the same key and the same request creates "
                                  "nothing twice and gets the first answer again"}
ETAG_HEADER = {"ETag": {"description": "The record's version, for If-Match", "schema": {"type": "string"}}}


class WaypointApi(Api):
    """flask-smorest, with problem+json for every error response it documents. Its own error handler is not
    installed: the app's handlers (app/error_pages.py) answer API errors, so the HTML pages keep theirs."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        return None

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def token_key() -> str:
    """Counted per token presented (a hash of it: the store never holds a token), else per address."""
    scheme, _, raw = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return "api-token:" + hashlib.sha256(raw.strip().encode()).hexdigest()[:32]
    return "api-anonymous:" + client_ip()


def ip_key() -> str:
    return "api-ip:" + client_ip()


# One allowance per token and one per client address, shared by every API route (SECURITY.md §4): a token
# guesser changes token each try, so the address limit is the one that stops them.
TOKEN_LIMIT = limiter.shared_limit(configured("API_TOKEN_RATE_LIMIT"), scope="api-token", key_func=token_key)
IP_LIMIT = limiter.shared_limit(configured("API_IP_RATE_LIMIT"), scope="api-ip", key_func=ip_key)


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    blp = Blueprint(f"api_{name}", __name__, url_prefix="/api/v1" + url_prefix, description=description)
    blp.before_request(authenticate_request)  # a token, and only a token, before anything else
    TOKEN_LIMIT(blp)
    IP_LIMIT(blp)
    return blp


def etag(obj) -> dict:
    return {"ETag": f'"{obj.version_id}"'}


def if_match(obj) -> int | None:
    """The version the caller says it is changing (from If-Match), checked now: a stale one is 412."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    g.if_match_given = True
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",") if t.strip()]
    if "*" in tags:
        return obj.version_id
    if str(obj.version_id) in tags:
        return obj.version_id
    abort(412, "The record changed since you read it (its ETag is now "
               f"\"{obj.version_id}\"). Nothing was saved: read it again and decide.")


def page(stmt, id_column, args: dict) -> dict:
    """Keyset paging by id: stable while rows are added, and cheap at any depth."""
    limit = args["limit"]
    if args.get("cursor"):
        stmt = stmt.where(id_column > args["cursor"])
    rows = list(db.session.execute(stmt.order_by(None).order_by(id_column).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}


def changed_since(column, since):
    return sa.true() if since is None else column >= since


def loads_referral(view):
    """Look the referral up through its policy *before* the body is read: an id out of scope is 404 whatever
    is sent, so not even a validation answer says anything about another provider's records."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.referral = get_referral_for(current_user, kwargs["referral_id"])
        return view(*args, **kwargs)

    return wrapped


def idempotency_scope(token) -> str:
    """Whose an Idempotency-Key is: the *caller*, not the token it came with, so a retry sent after the token was
    renewed (the offline app gets a new one with each new session; a person makes a new one when theirs runs out)
    still finds the first answer. A personal token's keys are its person's. A service token's are its
    organisation's system at that role: every service account of one organisation and role sees exactly the same
    records (app/auth/policies.py scopes by organisation and role), so a replay shows nothing the caller could not
    read anyway, and an administrator's rotated token keeps its keys. Never wider: two people, or two
    organisations, never share a key."""
    if token.kind is TokenKind.SERVICE:
        account = token.user
        return f"api-service:{account.organisation_id}:{account.role.value}"
    return f"api-user:{token.user_id}"


def idempotent(view):
    """`Idempotency-Key` on a POST, through the app's one idempotency mechanism (app/idempotency.py), scoped to
    the caller (``idempotency_scope``: the person, or the organisation's system): the first answer is stored with the record it made, in the same transaction; a retry with the
    same key and request gets it again (Idempotent-Replayed: true); the same key for a different request is 422,
    and while the first is still running, 409. A refused request (4xx raised by a service) keeps nothing, so
    it may be retried with the same key once corrected."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        try:
            key = idempotency.header_key()
        except ValueError as exc:
            return problem(400, str(exc), errors=[{"field": "Idempotency-Key", "message": str(exc)}])
        if key is None:
            return view(*args, **kwargs)
        scope, fingerprint = idempotency_scope(g.api_token), idempotency.request_fingerprint()
        # Keys claimed before they were the caller's were the token's: honour those while they are kept.
        stored = idempotency.lookup(f"api-token:{g.api_token.id}", key) or idempotency.claim(scope, key, fingerprint)
        if stored is not None and stored.fingerprint != fingerprint:
            message = "This Idempotency-Key was already used for a different request: use a new key for a new request"
            return problem(422, message, slug="idempotency-conflict",
                           errors=[{"field": "Idempotency-Key", "message": message}])
        if stored is not None and stored.status is None:
            return problem(409, "The first request with this Idempotency-Key is still being processed: try again "
                                "shortly", headers={"Retry-After": "1"})
        if stored is not None:
            return idempotency.replay(stored, fingerprint)
        try:
            response = make_response(view(*args, **kwargs))
        except Exception:
            # Refused (or failed) on the way: keep nothing under the key, even if the work committed something
            # before it was refused, so the same key gets the same answer again, never "still being processed".
            db.session.rollback()
            idempotency.release(scope, key)
            raise
        if response.status_code >= 500:
            db.session.rollback()
            return response
        idempotency.record_result(scope, key, fingerprint, status=response.status_code,
                                  body=response.get_data(as_text=True), content_type=response.headers.get("Content-Type"),
                                  location=response.headers.get("Location"))
        db.session.commit()
        return response

    return wrapped
