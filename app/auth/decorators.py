"""Route declarations: every view says which capability it needs, or that it is public.

The access-matrix test walks app.url_map and fails on any endpoint without one of these.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from app.auth.roles import Capability


def requires(*capabilities: Capability):
    """Allow the view only to signed-in users whose role has every named capability (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from app.extensions import login_manager

                return login_manager.unauthorized()
            if not all(current_user.can(c) for c in capabilities):
                from app import audit
                from app.db import db

                audit.record(current_user, "access.denied", detail={"capabilities": [c.value for c in capabilities]})
                db.session.commit()
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
