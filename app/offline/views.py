"""The offline app (issue 14): page shells, the service worker, the manifest, and the JSON the app asks for.

The shells hold no personal data (the app fills them from its encrypted store), so they are public and the
service worker can keep them for use without a connection. The JSON endpoints that hand out a key or a caseload
need a signed-in session and a CSRF token (header X-CSRFToken); the API itself never takes a session.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from flask import Response, current_app, g, jsonify, render_template, request, url_for
from flask_login import current_user, user_logged_out
from flask_wtf.csrf import generate_csrf

from app.auth.decorators import public, requires
from app.auth.roles import Capability as C
from app.db import db
from app.errors import DomainError
from app.offline import bp, services
from app.referrals.models import ContactMode, LawfulBasis, ReferralSource

PAGES = {
    "caseload": ("", "My caseload"),
    "case": ("case", "Case summary"),
    "contact": ("contact", "Log a contact"),
    "refer": ("refer", "Record a referral for someone new"),
    "outbox": ("outbox", "Waiting to be sent"),
}
# What the service worker keeps for use without a connection, besides the page shells.
STATIC_FILES = (
    "govuk/govuk-frontend.min.css", "govuk/govuk-frontend.min.js",
    "css/app.css",
    "offline/offline.css", "offline/app.js", "offline/store.js", "offline/pages.js", "offline/outbox.js",
    "offline/signout.js",
    "offline/vendor/idb/index.js", "offline/icons/icon-192.png", "img/favicon.svg",
)
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "offline"


def _shell(name: str):
    title = PAGES[name][1]
    return render_template(f"offline/{name}.html", page=name, page_title=title, modes=ContactMode.choices(),
                           sources=ReferralSource.choices(), lawful_bases=LawfulBasis.choices())


@bp.route("/")
@public
def caseload():
    return _shell("caseload")


@bp.route("/case")
@public
def case():
    return _shell("case")


@bp.route("/contact")
@public
def contact():
    return _shell("contact")


@bp.route("/refer")
@public
def refer():
    return _shell("refer")


@bp.route("/outbox")
@public
def outbox():
    return _shell("outbox")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "missing"


def _precache_list() -> list[dict]:
    shells = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(TEMPLATES.glob("*.html")))).hexdigest()[:16]
    entries = [{"url": url_for(f"offline.{name}"), "revision": shells} for name in PAGES]
    entries += [{"url": url_for("static", filename=f), "revision": _digest(STATIC_DIR / f)} for f in STATIC_FILES]
    entries.append({"url": url_for("offline.manifest"), "revision": shells})
    return entries


@bp.route("/sw.js")
@public
def service_worker():
    body = render_template("offline/sw.js", precache=json.dumps(_precache_list()),
                           workbox=url_for("static", filename="offline/vendor/workbox/"))
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("offline.caseload")
    return response


@bp.route("/manifest.webmanifest")
@public
def manifest():
    icons = [{"src": url_for("static", filename=f"offline/icons/icon-{size}.png"), "sizes": f"{size}x{size}",
              "type": "image/png", "purpose": purpose}
             for size in (192, 512) for purpose in ("any", "maskable")]
    body = {
        "name": f"{current_app.config['SERVICE_NAME']} offline",
        "short_name": current_app.config["SERVICE_NAME"],
        "description": "Log contacts and record referrals without a connection.",
        "start_url": url_for("offline.caseload"),
        "scope": url_for("offline.caseload"),
        "id": url_for("offline.caseload"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b0c0c",
        "lang": "en-GB",
        "icons": icons,
    }
    return Response(json.dumps(body), mimetype="application/manifest+json")


@bp.route("/csrf")
@public
def csrf_token():
    """A CSRF token for the app's own POSTs (its pages are cached shells, so they cannot carry one), and whether
    this browser is signed in as someone who may work offline. Another site cannot read this answer."""
    signed_in = bool(current_user.is_authenticated and current_user.can(C.LOG_CONTACT))
    response = jsonify(csrf_token=generate_csrf(), signed_in=signed_in)
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.route("/sync", methods=["POST"])
@requires(C.LOG_CONTACT)
def sync():
    """The device's key and its copy of the worker's caseload (audited; see services)."""
    try:
        device = services.unlock_device(current_user, _json_body().get("device_id"),
                                        request.headers.get("User-Agent"))
        data = services.caseload_for_device(current_user, device, date.today())
        body = _json_body()
        token = services.issue_outbox_token(current_user, device) if body.get("need_token") is True else None
    except services.DeviceRevoked as exc:
        db.session.rollback()
        # The device's own worker, still signed in, with items waiting: a few minutes to send them first.
        token = services.last_send_token(current_user, _json_body().get("device_id")) \
            if _json_body().get("unsent") is True else None
        db.session.commit()
        return jsonify(state="revoked", message=str(exc), api_token=token), 410
    except DomainError as exc:
        db.session.rollback()
        return jsonify(state="refused", message=str(exc)), 422
    db.session.commit()
    return jsonify(state="active", key=device.key_material, data=data, api_token=token)


@bp.route("/device-state", methods=["POST"])
@public
def device_state():
    """Whether this browser must wipe its offline copy. Answered signed out too (with a CSRF token)."""
    return jsonify(state=services.device_state(_json_body().get("device_id")))


@user_logged_out.connect
def _mark_signed_out(sender, user=None, **extra):
    """Signing out ends the offline app's API tokens too (signing out ends every session of the person, so no
    device of theirs keeps sending); the sign-out view has already committed, so this commits its own change."""
    g.offline_wipe = True
    if user is not None and getattr(user, "id", None):
        if services.revoke_outbox_tokens(user):
            db.session.commit()


@bp.after_app_request
def _wipe_on_sign_out(response):
    """Signing out clears everything this site keeps in the browser: the offline caseload, the outbox and the
    service worker's copies (Clear-Site-Data). Other devices wipe their copy the next time they reach us."""
    if g.get("offline_wipe"):
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
