"""Route declarations: every view says which capability it needs, or that it is public.

The access-matrix test walks app.url_map and fails on any endpoint without one of these.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from app.auth.policies import person_for_route
from app.auth.roles import Capability
from app.extensions import login_manager
from app import audit
from app.db import db


def requires(*capabilities: Capability):
    """Allow the view only to signed-in users whose role has every named capability (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:

                return login_manager.unauthorized()
            if not all(current_user.can(c) for c in capabilities):

                from flask import g, request

                audit.record(current_user, "access.denied", detail={
                    "capabilities": [c.value for c in capabilities], "endpoint": request.endpoint,
                    "method": request.method, "args": {k: str(v) for k, v in kwargs.items()}},
                    person_id=person_for_route(kwargs))
                db.session.commit()
                g.denial_audited = True
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_capabilities = frozenset(capabilities)
        return wrapped

    return decorator


def public(view):
    """Mark a view as reachable without signing in (sign-in page, health check)."""
    view.is_public = True
    return view


def declared_rule(view) -> str | None:
    if getattr(view, "is_public", False):
        return "public"
    caps = getattr(view, "required_capabilities", None)
    if caps is not None:
        return "requires " + ",".join(sorted(c.value for c in caps))
    return None


def personal_data(view):
    """Mark a view that shows people's personal data; each successful view writes an audit event
    (SECURITY.md §3). The event names the person when the URL does (person, referral or contact id), so
    the person's access history shows it. Roles without casework see no people and are not logged here."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from flask import make_response, request


        from flask import g

        response = make_response(view(*args, **kwargs))
        already = g.get("view_audited")  # the view recorded a richer "<thing>.viewed" event itself
        if (request.method == "GET" and not already and response.status_code < 400
                and current_user.is_authenticated and current_user.can(Capability.VIEW_CASEWORK)):
            audit.record(current_user, "personal_data.viewed", person_id=person_for_route(kwargs),
                         detail={"endpoint": request.endpoint, "args": {k: str(v) for k, v in kwargs.items()},
                                 "query": request.query_string.decode()[:200] or None})
            db.session.commit()
        return response

    wrapped.shows_personal_data = True
    return wrapped
