"""Request hooks: sign-in required everywhere but public views; security headers (SECURITY.md §6)."""
from __future__ import annotations

from flask import Flask, flash, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import login_manager

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

ENROLMENT_ENDPOINTS = {"auth.two_factor_setup", "auth.sign_out"}


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies (a setting; 0 by default), take the client's address and scheme from the
    X-Forwarded-For / X-Forwarded-Proto entries those proxies added — the last PROXY_COUNT of them, never one a
    client wrote itself. With 0, the headers are ignored and the address is the connection's."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0, x_prefix=0)


def register_security(app: Flask) -> None:
    trust_proxies(app)

    @app.before_request
    def require_sign_in():
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if view is not None and getattr(view, "is_public", False):
            return None
        if getattr(view, "api_token_auth", False):
            return None  # the API authenticates with a token in its own hook
        if not current_user.is_authenticated:

            ended = g.pop("session_ended", None)
            if ended:
                flash("You were signed out because you had not used Waypoint for a while." if ended == "idle"
                      else "You were signed out because you signed in a long time ago. Sign in again.", "info")
                return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))
            return login_manager.unauthorized()
        # Roles that must have a second factor reach nothing else until they have set one up.
        if (current_user.two_factor_required and not current_user.two_factor_enabled
                and request.endpoint not in ENROLMENT_ENDPOINTS):
            return redirect(url_for("auth.two_factor_setup"))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("HSTS_SECONDS"):
            # Browsers then refuse plain HTTP to this host for the period (production only: see config.py).
            response.headers.setdefault("Strict-Transport-Security",
                                        f"max-age={int(app.config['HSTS_SECONDS'])}; includeSubDomains")
        if current_user and current_user.is_authenticated and request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
