"""Offline capture use cases (issue 14): hand a device its key, its caseload and the choices its forms need;
revoke devices. Each takes the acting user, audits and flushes; the view commits at the edge.

What goes to a device is the fewest fields the offline pages show (DESIGN.md §4.3 scoping applies: only the
worker's own open cases), and every hand-over is audited with the referral ids it carried.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import audit
from app.auth.models import User
from app.auth.roles import Capability
from app.db import db, utcnow
from app.errors import DomainError
from app.offline.models import OfflineDevice
from app.referrals.eligibility import age_for_referral
from app.referrals import queries
from app.referrals.models import ContactMode, LawfulBasis, ReferralSource
from app.tokens.models import ApiToken, TokenKind
from app.tokens.services import PREFIX, hash_token

DEVICE_ID_MIN, DEVICE_ID_MAX = 16, 100


class DeviceRevoked(DomainError):
    """This browser may no longer hold offline data: it must wipe what it has."""


def max_age_hours() -> int:
    return int(current_app.config.get("OFFLINE_MAX_AGE_HOURS", 12))


def _hash(device_id: str) -> str:
    return hashlib.sha256(device_id.encode()).hexdigest()


def _check_device_id(device_id) -> str:
    if not isinstance(device_id, str) or not DEVICE_ID_MIN <= len(device_id) <= DEVICE_ID_MAX \
            or not device_id.isascii() or not device_id.isprintable():
        raise DomainError("This browser's offline id is not valid: reload the page", "device_id")
    return device_id


def find_device(device_id: str) -> OfflineDevice | None:
    return db.session.execute(sa.select(OfflineDevice).where(
        OfflineDevice.device_hash == _hash(device_id))).scalar_one_or_none()


def device_state(device_id) -> str:
    """'active', 'revoked' or 'unknown' — all a browser needs to know whether to wipe itself. Answered without
    signing in (a signed-out browser must still learn it was revoked); the id is a 128-bit secret of that
    browser, so the answer tells nobody else anything."""
    try:
        device = find_device(_check_device_id(device_id))
    except DomainError:
        return "unknown"
    if device is None:
        return "unknown"
    if device.revoked_at is not None or not device.user.active:
        return "revoked"
    return "active"


def unlock_device(actor: User, device_id, user_agent: str | None = None) -> OfflineDevice:
    """The device's key material, for its signed-in owner (registering the device the first time)."""
    if not actor.can(Capability.LOG_CONTACT):
        raise DomainError("Your role does not record contacts, so it cannot work offline")
    device_id = _check_device_id(device_id)
    device = find_device(device_id)
    if device is not None and (device.user_id != actor.id or device.revoked_at is not None):
        # Someone else's data, or a revoked browser: never hand this key out again.
        raise DeviceRevoked("This browser's offline copy was withdrawn. It will be cleared.")
    if device is None:
        device = OfflineDevice(user_id=actor.id, device_hash=_hash(device_id),
                               key_material=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="),
                               user_agent=(user_agent or "")[:300] or None)
        db.session.add(device)
        db.session.flush()
        audit.record(actor, "offline.device_registered", device)
    return device


def _outbox_token_name(device: OfflineDevice) -> str:
    return f"Offline app (device {device.id})"


LAST_SEND_MINUTES = 10


def issue_outbox_token(actor: User, device: OfflineDevice, *, last_send: bool = False) -> dict:
    """A personal API token for this device's outbox: it acts as the worker (their role and scope at each call,
    like any personal token), lives only as long as the offline copy may (OFFLINE_MAX_AGE_HOURS), and replaces the
    device's previous one. It is listed on the worker's API tokens page under the device's name.

    ``last_send``: the device was withdrawn and is about to wipe itself; its own worker, still signed in, gets
    LAST_SEND_MINUTES to send what it holds first (see ``last_send_token``)."""
    revoke_outbox_tokens(actor, device)
    raw = PREFIX + secrets.token_urlsafe(32)
    lifetime = timedelta(minutes=LAST_SEND_MINUTES) if last_send else timedelta(hours=max_age_hours())
    token = ApiToken(name=_outbox_token_name(device), kind=TokenKind.PERSONAL, user_id=actor.id,
                     created_by_id=actor.id, prefix=raw[:10], token_hash=hash_token(raw),
                     expires_at=utcnow() + lifetime)
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api_token.created", token, detail={
        "kind": "personal", "name": token.name, "expires_at": token.expires_at.isoformat(),
        "for": "sending a withdrawn device's unsent items before it wipes itself" if last_send else "offline outbox"})
    return {"token": raw, "expires_at": token.expires_at.isoformat() + "Z"}


def last_send_token(actor: User, device_id) -> dict | None:
    """A withdrawn device wipes itself; before it does, the items it holds that are not in Waypoint yet are sent
    when its own worker is still signed in (a session still valid: they could record the same through the
    pages). Never for anyone else's device, never the key (the tab must still hold it), and only for
    LAST_SEND_MINUTES. An account that was disabled has no session, so its devices just wipe."""
    try:
        device = find_device(_check_device_id(device_id))
    except DomainError:
        return None
    if device is None or device.user_id != actor.id or device.revoked_at is None \
            or not actor.can(Capability.LOG_CONTACT):
        return None
    return issue_outbox_token(actor, device, last_send=True)


def revoke_outbox_tokens(user: User, device: OfflineDevice | None = None) -> int:
    """End the offline app's tokens of `user` (of one device, or all of them)."""
    names = [_outbox_token_name(device)] if device is not None else None
    stmt = sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == TokenKind.PERSONAL,
                                     ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    stmt = stmt.where(ApiToken.name.in_(names)) if names else stmt.where(ApiToken.name.like("Offline app (device %)"))
    tokens = list(db.session.execute(stmt).scalars())
    for token in tokens:
        token.revoked_at, token.revoked_by_id = utcnow(), user.id
    db.session.flush()
    return len(tokens)


def revoke_devices(user: User, reason: str, actor: User | None = None) -> int:
    revoke_outbox_tokens(user)
    now = utcnow()
    devices = list(db.session.execute(sa.select(OfflineDevice).where(
        OfflineDevice.user_id == user.id, OfflineDevice.revoked_at.is_(None))).scalars())
    for device in devices:
        device.revoked_at, device.revoked_reason = now, reason[:60]
        audit.record(actor or user, "offline.device_revoked", device, detail={"reason": reason[:60]})
    db.session.flush()
    return len(devices)


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, (date, datetime)) else None


def caseload_for_device(actor: User, device: OfflineDevice, today: date) -> dict:
    """The worker's own open cases, as the few fields the offline pages show, and the choices the offline forms
    offer. No notes, no date of birth (the age is enough), nobody else's cases."""
    mine = queries.my_caseload(actor, today)
    rows = db.session.execute(mine.rows, mine.values).all()
    cases = [{
        "id": r.id,
        "name": f"{r.given_name} {r.family_name}",
        "age": age_for_referral(r.date_of_birth, None, None, today),
        "programme": r.programme,
        "site": r.site,
        "status": r.status.value,
        "status_label": r.status.label,
        "referred_on": _iso(r.referred_on),
        "reached_on": _iso(r.reached_on),
        "last_contact_at": _iso(r.last_contact_at),
        "contacts": r.contacts or 0,
        # What the case looked like when it was copied: conflicts are judged against this.
        "version": r.version_id,
        "assigned_worker_id": r.assigned_worker_id,
    } for r in rows]
    sites = [{"id": s.id, "label": f"{s.programme} — {s.name}", "programme_id": s.programme_id,
              "min_age": s.min_age, "max_age": s.max_age} for s in queries.site_choices(actor)]
    device.last_synced_at = utcnow()
    db.session.flush()
    audit.record(actor, "offline.caseload_copied", device, detail={"referrals": [c["id"] for c in cases]})
    return {
        "worker": {"id": actor.id, "name": actor.full_name},
        "cases": cases,
        "choices": {
            "sites": sites,
            "sources": ReferralSource.choices(),
            "lawful_bases": LawfulBasis.choices(),
            "modes": ContactMode.choices(),
        },
        "max_age_hours": max_age_hours(),
        "copied_at": utcnow().isoformat() + "Z",
    }
