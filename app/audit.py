"""Audit trail (SECURITY.md §3): who, organisation, role, action, record, UTC time, IP, reason.

Events are append-only (no route edits them) and hash-chained: each event's hash covers its
own fields and the previous event's hash, so an edit or deletion made behind the app's back
shows up in `flask audit verify`.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Model, db, utcnow

GENESIS = "0" * 64


class AuditEvent(Model):
    __tablename__ = "audit_events"

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    organisation_id: Mapped[int | None]
    role: Mapped[str | None] = mapped_column(sa.String(40))
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(60))
    object_id: Mapped[int | None]
    person_id: Mapped[int | None] = mapped_column(index=True)  # for a person's access history
    detail: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def payload(self) -> str:
        body = {
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "organisation_id": self.organisation_id,
            "role": self.role,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "person_id": self.person_id,
            "detail": self.detail,
            "ip": self.ip,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()


def _last_hash() -> str:
    last = db.session.execute(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


def record(actor, action: str, obj=None, *, detail: dict | None = None, reason: str | None = None,
           person_id: int | None = None) -> AuditEvent:
    """Append an audit event to the session (the request edge commits it)."""
    # current_user is a proxy: record the user it stands for, not "LocalProxy".
    actor = actor._get_current_object() if hasattr(actor, "_get_current_object") else actor
    obj = obj._get_current_object() if hasattr(obj, "_get_current_object") else obj
    ip = None
    if has_request_context():
        ip = request.headers.get("X-Forwarded-For", request.remote_addr or "")[:64] or None
    actor_id = getattr(actor, "id", None) if actor is not None and getattr(actor, "is_authenticated", True) else None
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor_id,
        actor_email=getattr(actor, "email", None) if actor_id else None,
        organisation_id=getattr(actor, "organisation_id", None) if actor_id else None,
        role=actor.role.value if actor_id else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=getattr(obj, "id", None) if obj is not None else None,
        person_id=person_id if person_id is not None else _person_of(obj),
        detail=detail,
        ip=ip,
        reason=reason,
    )
    db.session.flush()  # make sure earlier events in this transaction have ids and hashes
    if db.session.get_bind().dialect.name == "postgresql":
        # Two transactions appending at once would both link to the same predecessor and fork the chain;
        # this lock (released at commit) makes appends take turns. SQLite's BEGIN IMMEDIATE already does.
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(727401)"))
    event.prev_hash = _last_hash()
    event.hash = event.compute_hash()
    db.session.add(event)
    db.session.flush()
    if action.endswith((".viewed", ".searched")) and has_request_context():
        from flask import g

        g.view_audited = True
    return event


def record_many(actor, events: list[tuple[str, str | None, int | None, int | None, dict | None]]) -> int:
    """Append many events at once (a bulk import): each has the fields and chain link `record` would give it —
    (action, object type, object id, person id, detail) — and they are written in one statement. Their ids are
    reserved in order under the same lock as `record`, so the chain reads in id order."""
    if not events:
        return 0
    actor = actor._get_current_object() if hasattr(actor, "_get_current_object") else actor
    ip = (request.headers.get("X-Forwarded-For", request.remote_addr or "")[:64] or None) if has_request_context() else None
    actor_id = getattr(actor, "id", None) if actor is not None else None
    who = {"actor_id": actor_id, "actor_email": getattr(actor, "email", None) if actor_id else None,
           "organisation_id": getattr(actor, "organisation_id", None) if actor_id else None,
           "role": actor.role.value if actor_id else None, "ip": ip, "reason": None}
    db.session.flush()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(727401)"))
        ids = list(db.session.execute(sa.text("SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) "
                                              "FROM generate_series(1, :n) ORDER BY 1"), {"n": len(events)}).scalars())
    else:
        start = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(AuditEvent.id), 0))).scalar_one() + 1
        ids = list(range(start, start + len(events)))
    prev = _last_hash()
    now = utcnow()
    rows = []
    for event_id, (action, object_type, object_id, person_id, detail) in zip(ids, events, strict=True):
        row = {"id": event_id, "occurred_at": now, "action": action, "object_type": object_type,
               "object_id": object_id, "person_id": person_id, "detail": detail, "prev_hash": prev, **who}
        # The model's own payload and hash, computed on the plain row (no ORM object per event).
        row["hash"] = prev = hashlib.sha256(AuditEvent.payload(SimpleNamespace(**row)).encode()).hexdigest()
        rows.append({**row, "created_at": now, "updated_at": now})
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(AuditEvent.__table__), rows[start:start + 5000])
    return len(rows)


def _person_of(obj) -> int | None:
    if obj is None:
        return None
    if type(obj).__name__ == "Person":
        return obj.id
    return getattr(obj, "person_id", None)


def verify_chain() -> tuple[int, list[int]]:
    """Return (events checked, ids whose hash or link is wrong)."""
    prev = GENESIS
    bad: list[int] = []
    checked = 0
    for event in db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).scalars():
        checked += 1
        if event.prev_hash != prev or event.compute_hash() != event.hash:
            bad.append(event.id)
        prev = event.hash
    return checked, bad


def record_export(actor, what: str, fmt: str, *, person_id: int | None = None, rows: int | None = None,
                  detail: dict | None = None) -> AuditEvent:
    """Every export writes one of these (SECURITY.md §7): what, in which format, how many rows."""
    return record(actor, f"export.{what}", detail={"format": fmt, "rows": rows, **(detail or {})},
                  person_id=person_id)
