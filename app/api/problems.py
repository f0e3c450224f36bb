"""Errors as RFC 9457 problem details (application/problem+json), field by field; never HTML, never a bare 500.

The app's error handlers (app/error_pages.py) call `problem_for` for every request under /api/, so an error
raised anywhere — a policy loader's 404, a service's DomainError, a schema's 422, an unexpected exception —
answers in the same shape.
"""
from __future__ import annotations

from flask import g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.errors import ConflictError, DomainError
from app.limits import RateLimitExceeded, retry_after_seconds
from app.referrals.schemas import CandidateSchema
from app.referrals.services import PossibleDuplicate

CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/v1/reference#problem-"

TITLES = {
    400: "The request could not be read",
    401: "A valid API token is needed",
    403: "Your role cannot do this",
    404: "Not found",
    405: "This address does not accept that method",
    409: "Conflict",
    412: "The record changed since you read it",
    413: "The request is too large",
    415: "Send JSON",
    422: "Some fields need attention",
    428: "Say which version you are changing",
    429: "Too many requests",
    500: "Something went wrong on Waypoint's side",
}
SLUGS = {400: "bad-request", 401: "unauthorised", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
         409: "conflict", 412: "precondition-failed", 413: "too-large", 415: "unsupported-media-type",
         422: "validation", 428: "precondition-required", 429: "rate-limited", 500: "server-error"}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str | None = None, *, errors: list[dict] | None = None, title: str | None = None,
            slug: str | None = None, headers: dict | None = None, **extra):
    body = {"type": PROBLEM_BASE + (slug or SLUGS.get(status, "error")), "title": title or TITLES.get(status, "Error"),
            "status": status, "detail": detail, "instance": request.path}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = CONTENT_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="Waypoint API"'
    return response


def flatten(messages, prefix: str = "") -> list[dict]:
    """marshmallow's nested messages ({"json": {"person": {"given_name": [...]}}}) as a flat list."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key)
            path = prefix if name == "_schema" else (f"{prefix}.{name}" if prefix else name)
            out.extend(flatten(value, path))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                out.extend(flatten(item, prefix))
            else:
                out.append({"field": prefix or None, "message": str(item)})
    else:
        out.append({"field": prefix or None, "message": str(messages)})
    return out


def _validation_errors(exc: HTTPException) -> list[dict] | None:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if not messages:
        return None
    # webargs keys messages by where they came from (json, query, headers); the field path is what matters.
    errors = []
    for location, fields_ in messages.items():
        found = flatten(fields_)
        if location == "json" or location == "query":
            errors.extend(found)
        else:
            errors.extend({"field": f"{location}.{e['field']}" if e["field"] else location, "message": e["message"]}
                          for e in found)
    return errors


def problem_for(exc: BaseException):
    """The problem response for any exception raised while answering an API request."""
    if isinstance(exc, PossibleDuplicate):
        return problem(409, exc.message, title="This person may already be recorded", slug="possible-duplicate",
                       errors=[{"field": "create_anyway", "message": exc.message}],
                       candidates=CandidateSchema(many=True).dump(exc.candidates))
    if isinstance(exc, ConflictError):
        status = 412 if g.get("if_match_given") else 409
        return problem(status, exc.message)
    if isinstance(exc, DomainError):
        return problem(422, exc.message, errors=[{"field": exc.field, "message": exc.message}])
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        errors = _validation_errors(exc) if status in (400, 422) else None
        detail = exc.description if status not in (401, 403, 404, 500) else None
        if status == 404:
            detail = "There is nothing here, or it is not yours to see"
        if status == 429:
            wait = retry_after_seconds(exc) if isinstance(exc, RateLimitExceeded) else None
            detail = (f"Too many requests from this token or address: wait {wait} seconds" if wait else
                      "Too many requests from this token or address: wait a minute") + " and then try again."
        if status == 422 and errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)[:1000]
        headers = dict(exc.get_headers()) if status in (405, 429) else {}
        headers.pop("Content-Type", None)
        return problem(status, detail, errors=errors, headers=headers)
    return problem(500, "The error has been logged. Nothing was saved; try again later.")
