"""Reads for the admin pages."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
import sqlalchemy.orm  # noqa: F401

from app.audit import AuditEvent
from app.auth.models import Organisation, User


def users(organisation_id: int | None = None):
    stmt = sa.select(User).options(sa.orm.joinedload(User.organisation)).order_by(User.email)
    if organisation_id:
        stmt = stmt.where(User.organisation_id == organisation_id)
    return stmt


def organisations():
    counts = sa.select(User.organisation_id, sa.func.count().label("n")).group_by(User.organisation_id).subquery()
    return (sa.select(Organisation, sa.func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.organisation_id == Organisation.id).order_by(Organisation.name))


def audit_events(*, action: str | None = None, actor: str | None = None, person_id: int | None = None,
                 since: date | None = None, until: date | None = None):
    stmt = sa.select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action))
    if actor:
        stmt = stmt.where(sa.func.lower(AuditEvent.actor_email).contains(actor.strip().lower(), autoescape=True))
    if person_id:
        stmt = stmt.where(AuditEvent.person_id == person_id)
    if since:
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(since, time.min))
    if until:
        stmt = stmt.where(AuditEvent.occurred_at < datetime.combine(until + timedelta(days=1), time.min))
    return stmt


ACTION_GROUPS = [
    ("", "All actions"), ("auth", "Sign-ins and sign-outs"), ("access", "Refused or not found"),
    ("personal_data", "Views of personal data"), ("export", "Exports"), ("privacy", "Data protection"),
    ("admin", "Administration"), ("account", "Own account changes"),
]
