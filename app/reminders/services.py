"""Reminder e-mails (issue 13): choices per account, planning what is due, and sending it exactly once.

`plan_reminders` writes each reminder that is due as a `sent_reminders` row with a unique key (a second plan of
the same key — the same run twice, or two runs at once — inserts nothing). `send_pending` then takes the rows
one at a time: in ONE transaction it marks the row sent *only if it is still pending*, hands the message to the
SMTP server and commits. A second run at the same moment finds the row already taken (PostgreSQL re-checks the
row after the first transaction commits; SQLite runs one writer at a time), so nothing is sent twice. If the
process dies or the SMTP server fails mid-run, the transaction of the message in hand rolls back and it stays
pending with everything after it: the next run sends the rest. (The one window left is a crash after the SMTP
server accepted a message and before the commit: that message would be sent again — at least once, never lost.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app import audit
from app.audit import AuditEvent
from app.auth.models import User
from app.auth.roles import Capability, Role
from app.db import db, utcnow
from app.errors import DomainError
from app.referrals.models import Referral
from app.referrals.transitions import OPEN_STATUSES
from app.reminders import messages
from app.reminders.models import ReminderKind, ReminderPreference, ReminderStatus, SentReminder
from app.todo.items import AMBER, RED, breaches_now
from app.todo.services import todo_for

DIGEST_FROM_HOUR = 7          # the daily digest goes with the first run after 07:00 UK time
ASSIGNMENT_LOOKBACK = timedelta(days=2)
PREFERENCE_FIELDS = ("daily_digest", "on_assignment", "clock_warning", "breaches", "show_initials")
RECIPIENT_ROLES = (Role.YOUTH_WORKER, Role.PROVIDER_MANAGER)


def preferences_of(user) -> ReminderPreference:
    found = db.session.execute(sa.select(ReminderPreference).where(ReminderPreference.user_id == user.id)
                               ).scalar_one_or_none()
    return found or ReminderPreference(user_id=user.id, daily_digest=False, on_assignment=False,
                                       clock_warning=False, breaches=True, show_initials=False)


def save_preferences(actor, values: dict) -> ReminderPreference:
    if actor.role not in RECIPIENT_ROLES:
        raise DomainError("E-mail reminders are for youth workers and provider managers")
    pref = preferences_of(actor)
    before = {f: bool(getattr(pref, f)) for f in PREFERENCE_FIELDS}
    for field in PREFERENCE_FIELDS:
        setattr(pref, field, bool(values.get(field)))
    if pref.on_assignment and not before["on_assignment"]:
        pref.assignments_since = utcnow()  # from now on, not the whole caseload at once
    db.session.add(pref)
    db.session.flush()
    changed = {f: bool(getattr(pref, f)) for f in PREFERENCE_FIELDS if bool(getattr(pref, f)) != before[f]}
    audit.record(actor, "reminders.preferences_changed", pref, detail=changed)
    return pref


@dataclass
class Planned:
    key: str
    kind: ReminderKind
    user: User
    subject: str
    body: str
    referral_id: int | None = None
    person_id: int | None = None


def _url(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def _recipients():
    stmt = (sa.select(User, ReminderPreference).outerjoin(ReminderPreference, ReminderPreference.user_id == User.id)
            .where(User.active.is_(True), User.role.in_(RECIPIENT_ROLES)).order_by(User.id))
    return db.session.execute(stmt).all()


def _assigned_referrals(user, pref, now_utc: datetime) -> list[Referral]:
    since = max(pref.assignments_since or now_utc, now_utc - ASSIGNMENT_LOOKBACK)
    events = (sa.select(AuditEvent.object_id).where(
        AuditEvent.action.in_(("referral.submitted", "referral.reassigned")), AuditEvent.object_type == "Referral",
        AuditEvent.occurred_at >= since, sa.or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != user.id)))
    return list(db.session.execute(sa.select(Referral).where(
        Referral.id.in_(events), Referral.assigned_worker_id == user.id, Referral.status.in_(OPEN_STATUSES),
        Referral.provider_id == user.organisation_id)).scalars())


def _for_user(user, pref, now: datetime, now_utc: datetime) -> list[Planned]:
    manager = user.can(Capability.VIEW_ORG_CASELOAD)
    settings = _url("/reminders/settings")
    out: list[Planned] = []
    if not (pref.daily_digest or pref.clock_warning or pref.on_assignment or (manager and pref.breaches)):
        return out
    items, counts = todo_for(user, now, mine_only=not manager)
    initials = (lambda i: i.initials) if pref.show_initials else (lambda i: None)  # noqa: E731
    if pref.daily_digest and now.hour >= DIGEST_FROM_HOUR and counts["total"]:
        subject, body = messages.digest(counts, _url("/todo"), settings)
        out.append(Planned(f"digest:{user.id}:{now.date().isoformat()}", ReminderKind.DIGEST, user, subject, body))
    for item in items:
        if item.kind != "first_contact" or item.worker_id != user.id:
            continue
        if pref.clock_warning and item.state == AMBER:
            subject, body = messages.clock(item.programme, item.site, item.when,
                                           _url(f"/referrals/{item.referral_id}/contacts/new"), settings, initials(item))
            out.append(Planned(f"clock:{item.referral_id}:{user.id}", ReminderKind.CLOCK, user, subject, body,
                               item.referral_id))
    if manager and pref.breaches:
        for item in breaches_now(items):
            if item.state != RED:
                continue
            subject, body = messages.breach(item.programme, item.site, item.when, item.worker,
                                            _url(f"/referrals/{item.referral_id}"), settings, initials(item))
            out.append(Planned(f"breach:{item.referral_id}:{user.id}", ReminderKind.BREACH, user, subject, body,
                               item.referral_id))
    if pref.on_assignment:
        for referral in _assigned_referrals(user, pref, now_utc):
            who = (referral.person.given_name[:1] + referral.person.family_name[:1]).upper() \
                if pref.show_initials else None
            subject, body = messages.assigned(referral.programme.name, referral.site.name,
                                              _url(f"/referrals/{referral.id}"), settings, who)
            out.append(Planned(f"assigned:{referral.id}:{user.id}", ReminderKind.ASSIGNED, user, subject, body,
                               referral.id, referral.person_id))
    return out


def _insert_ignoring_duplicates(rows: list[dict]) -> int:
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(SentReminder).values(rows).on_conflict_do_nothing(index_elements=["key"])
            .returning(SentReminder.id))
    return len(db.session.execute(stmt).all())


def plan_reminders(now: datetime) -> int:
    """Record every reminder due at `now` (UK time) that has not been planned before. Returns how many are new."""
    now_utc = utcnow()
    planned: list[Planned] = []
    for user, pref in _recipients():
        planned += _for_user(user, pref or preferences_of(user), now, now_utc)
    person_of = dict(db.session.execute(sa.select(Referral.id, Referral.person_id).where(
        Referral.id.in_({p.referral_id for p in planned if p.referral_id}))).all()) if planned else {}
    rows = [{"key": p.key, "kind": p.kind.value, "status": ReminderStatus.PENDING.value, "user_id": p.user.id,
             "to_address": p.user.email, "referral_id": p.referral_id,
             "person_id": p.person_id or person_of.get(p.referral_id), "subject": p.subject, "body": p.body,
             "planned_at": now_utc, "created_at": now_utc, "updated_at": now_utc} for p in planned]
    return _insert_ignoring_duplicates(rows)


def pending_ids() -> list[int]:
    return list(db.session.execute(sa.select(SentReminder.id).where(
        SentReminder.status == ReminderStatus.PENDING).order_by(SentReminder.id)).scalars())


def take_and_send(reminder_id: int, deliver) -> str:
    """Within the caller's transaction: claim the row if still pending, then deliver it. Returns what happened
    ('sent', 'cancelled', or 'taken' when another run had it). The caller commits; on an exception, rolls back."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(SentReminder).where(SentReminder.id == reminder_id, SentReminder.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.SENT, sent_at=now, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return "taken"
    row = db.session.execute(sa.select(SentReminder.user_id, SentReminder.to_address, SentReminder.subject,
                                       SentReminder.body, SentReminder.kind, SentReminder.person_id,
                                       User.active, User.email)
                             .join(User, User.id == SentReminder.user_id)
                             .where(SentReminder.id == reminder_id)).one()
    if not row.active or row.email != row.to_address:
        # The account was disabled (or its address changed) after the reminder was planned: send nothing.
        db.session.execute(sa.update(SentReminder).where(SentReminder.id == reminder_id).values(
            status=ReminderStatus.CANCELLED, sent_at=None, note="account disabled or address changed")
            .execution_options(synchronize_session=False))
        return "cancelled"
    deliver(row.to_address, row.subject, row.body)
    audit.record(None, "reminder.sent", detail={"reminder": reminder_id, "to_user": row.user_id,
                                                "kind": row.kind.value if hasattr(row.kind, "value") else row.kind,
                                                "subject": row.subject}, person_id=row.person_id)
    return "sent"
