"""The HTML / JSON error pages and handlers. Nothing returns a bare 500 page."""
from __future__ import annotations

from flask import jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.api.problems import is_api_request, problem, problem_for
from app.auth.policies import person_for_route
from app.errors import ConflictError, DomainError
from app.limits import RateLimitExceeded, retry_after_seconds
from app import audit
from app.db import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


TITLES = {
    400: "There is a problem with the request",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "Someone else changed this record",
    413: "The file is too large",
    429: "Too many attempts",
    503: "Waypoint is busy",
    500: "Sorry, there is a problem with the service",
}


def _render(code: int, description: str | None = None):
    title = TITLES.get(code, "There is a problem")
    if _wants_json():
        return jsonify(error=title, detail=description, status=code), code
    return render_template("errors/error.html", code=code, title=title, description=description), code


def _too_large(limit: int | None) -> str:
    """The 413 page names the limit, so the person knows what to do (SECURITY.md §7)."""
    size = f"{limit / (1024 * 1024):g} MB" if limit else "the size limit"
    return (f"Files can be up to {size}. Nothing was saved. Go back and choose a smaller file: upload one "
            "quarter at a time, or save a spreadsheet as CSV, which is smaller.")


def _wait_words(seconds: int | None) -> str:
    if not seconds:
        return "a few minutes"
    minutes = max(1, round(seconds / 60))
    if seconds < 90:
        return "a minute" if seconds > 45 else f"{seconds} seconds"
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"


def _too_many(exc: HTTPException) -> str:
    """The 429 page in plain words: what happened, how long to wait, what else to do."""
    wait = _wait_words(retry_after_seconds(exc) if isinstance(exc, RateLimitExceeded) else None)
    if (request.endpoint or "").startswith("auth."):
        return (f"There have been too many attempts from here. For your security, wait {wait} and then try again. "
                "If you have forgotten your password, ask your administrator to reset it.")
    return f"There have been too many requests from here. Wait {wait} and then try again."


BUSY_RETRY_SECONDS = 5
BUSY_WORDS = ("Waypoint is busy and could not finish this in time. Nothing was saved. "
              "Wait a few seconds and try again.")


def _database_busy(exc: Exception) -> bool:
    """SQLite's lock wait ran past its busy timeout (a very busy single-file install): the transaction was rolled
    back whole, so the honest answer is 'busy, nothing saved, try again', not a server error."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig or exc)


def _audit_refusal(code: int) -> None:
    """A signed-in person refused a page, or asking for a record out of their scope, is audited
    (SECURITY.md §3): a run of 404s on ids is what probing another provider's records looks like."""
    from flask import g
    from flask_login import current_user


    if g.get("denial_audited") or not current_user or not current_user.is_authenticated:
        return
    args = request.view_args or {}
    if code == 404 and not any(k.endswith("_id") for k in args):
        return  # a mistyped address, not a record
    db.session.rollback()
    audit.record(current_user, "access.denied" if code == 403 else "access.not_found",
                 detail={"endpoint": request.endpoint, "method": request.method,
                         "args": {k: str(v) for k, v in args.items()}},
                 person_id=person_for_route(args))
    db.session.commit()
    g.denial_audited = True


def register_errorhandlers(app) -> None:
    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if exc.code in (403, 404):
            _audit_refusal(exc.code)
        if exc.code and exc.code >= 500:
            app.logger.exception("HTTP %s", exc.code)
        if is_api_request():
            return problem_for(exc)
        desc = exc.description if exc.code in (400, 405, 409, 429) else None
        if exc.code == 413:
            desc = _too_large(app.config.get("MAX_CONTENT_LENGTH"))
        if exc.code == 429:
            desc = _too_many(exc)
        return _render(exc.code or 500, desc)

    @app.errorhandler(DomainError)
    def handle_domain(exc: DomainError):
        db.session.rollback()
        if is_api_request():
            return problem_for(exc)
        return _render(409 if isinstance(exc, ConflictError) else 400, exc.message)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        if app.config.get("TESTING") and app.config.get("PROPAGATE_UNEXPECTED", False):
            raise exc
        if not _database_busy(exc):
            app.logger.exception("Unhandled error")
        else:
            app.logger.warning("Database busy: %s %s answered 503", request.method, request.path)
            if is_api_request():
                return problem(503, BUSY_WORDS, title="Waypoint is busy", slug="busy",
                               headers={"Retry-After": str(BUSY_RETRY_SECONDS)})
            response, code = _render(503, BUSY_WORDS)
            response = app.make_response((response, code))
            response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
            return response
        if is_api_request():
            return problem_for(exc)
        return _render(500)
