"""Audit trail (SECURITY.md §3): who, organisation, role, action, record, UTC time, IP, reason.

Recording is a plain INSERT in the request's own transaction — no lock, so requests never queue behind each other
to write their events. The chain is built afterwards by ``app.audit.chain.seal_pending`` (``flask audit seal``, and
before every ``verify`` and ``checkpoint``): it gives each new event the next sequence number and an HMAC over its
fields and the previous event's HMAC, keyed with AUDIT_KEY, which is held outside the database. A checkpoint of the
chain's head is written to a file the database cannot rewrite, so editing an event, re-chaining the log and cutting
off its tail all show in ``flask audit verify``. See docs/security.md "Audit".
"""
from __future__ import annotations

import hmac
import json
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_request_context, request
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
    # Set when the event is sealed into the chain (None until then): its place, its predecessor's HMAC, its HMAC.
    seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    def payload(self) -> str:
        body = {
            "id": self.id,
            "seq": self.seq,
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

    def compute_hash(self, key: bytes | None = None) -> str:
        """HMAC-SHA256 of the event and its link, keyed with AUDIT_KEY: without the key no one can forge or re-chain."""
        key = key if key is not None else audit_key()
        return hmac.new(key, self.payload().encode(), "sha256").hexdigest()


def audit_key() -> bytes:
    return str(current_app.config["AUDIT_KEY"]).encode()


def record(actor, action: str, obj=None, *, detail: dict | None = None, reason: str | None = None,
           person_id: int | None = None) -> AuditEvent:
    """Append an audit event to the session (the request edge commits it)."""
    # current_user is a proxy: record the user it stands for, not "LocalProxy".
    actor = actor._get_current_object() if hasattr(actor, "_get_current_object") else actor
    obj = obj._get_current_object() if hasattr(obj, "_get_current_object") else obj
    ip = None
    if has_request_context():
        # The connection's address, or the one the configured trusted proxies reported (ProxyFix, PROXY_COUNT):
        # never a header the client wrote.
        ip = (request.remote_addr or "")[:64] or None
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
    # No lock and no look-up of the previous event: the event is sealed into the chain later (app.audit.chain).
    db.session.add(event)
    db.session.flush()
    if action.endswith((".viewed", ".searched")) and has_request_context():
        from flask import g

        g.view_audited = True
    return event


def record_many(actor, events: list[tuple[str, str | None, int | None, int | None, dict | None]],
                insert=None) -> int:
    """Append many events at once (a bulk import): each has the fields `record` would give it — (action, object
    type, object id, person id, detail) — written in one statement per 5,000, or by `insert(table, rows)` when
    given (the import's driver-level writer). Like every event they are sealed into the chain afterwards
    (app.audit.chain), so no lock is taken here."""
    if not events:
        return 0
    actor = actor._get_current_object() if hasattr(actor, "_get_current_object") else actor
    ip = ((request.remote_addr or "")[:64] or None) if has_request_context() else None
    actor_id = getattr(actor, "id", None) if actor is not None else None
    who = {"actor_id": actor_id, "actor_email": getattr(actor, "email", None) if actor_id else None,
           "organisation_id": getattr(actor, "organisation_id", None) if actor_id else None,
           "role": actor.role.value if actor_id else None, "ip": ip, "reason": None}
    now = utcnow()
    rows = [{"occurred_at": now, "action": action, "object_type": object_type, "object_id": object_id,
             "person_id": person_id, "detail": detail, "created_at": now, "updated_at": now, **who}
            for action, object_type, object_id, person_id, detail in events]
    if insert is not None:
        insert(AuditEvent.__table__, rows)
        return len(rows)
    for first in range(0, len(rows), 5000):
        db.session.execute(sa.insert(AuditEvent.__table__), rows[first:first + 5000])  # plain executemany
    return len(rows)


def _person_of(obj) -> int | None:
    if obj is None:
        return None
    if type(obj).__name__ == "Person":
        return obj.id
    return getattr(obj, "person_id", None)


def record_export(actor, what: str, fmt: str, *, person_id: int | None = None, rows: int | None = None,
                  detail: dict | None = None) -> AuditEvent:
    """Every export writes one of these (SECURITY.md §7): what, in which format, how many rows."""
    return record(actor, f"export.{what}", detail={"format": fmt, "rows": rows, **(detail or {})},
                  person_id=person_id)
