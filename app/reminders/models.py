"""Reminder choices per account and the record of every reminder e-mail (issue 13).

`sent_reminders` is both the audit of what was sent (to whom, what, when) and what makes
`flask reminders send` safe to run twice and resumable: each reminder has a unique key, is planned once
(a second plan of the same key is ignored) and is marked sent in the same transaction that sends it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.db import LabelledEnum, Model, str_enum


class ReminderKind(LabelledEnum):
    DIGEST = ("digest", "Daily to-do digest")
    ASSIGNED = ("assigned", "Referral assigned to you")
    CLOCK = ("clock", "First-contact clock about to run out")
    BREACH = ("breach", "First-contact clock ran out")


class ReminderStatus(LabelledEnum):
    PENDING = ("pending", "Waiting to be sent")
    SENT = ("sent", "Sent")
    CANCELLED = ("cancelled", "Not sent")


class ReminderPreference(Model):
    __tablename__ = "reminder_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    daily_digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    on_assignment: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    clock_warning: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    breaches: Mapped[bool] = mapped_column(default=True, server_default=sa.true())  # managers
    show_initials: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Assignment e-mails cover referrals assigned from this moment on (not the whole caseload at once).
    assignments_since: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class SentReminder(Model):
    __tablename__ = "sent_reminders"
    __table_args__ = (
        sa.UniqueConstraint("key", name="uq_sent_reminders_key"),
        sa.Index("ix_sent_reminders_status_id", "status", "id"),
    )

    key: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[ReminderKind] = mapped_column(str_enum(ReminderKind))
    status: Mapped[ReminderStatus] = mapped_column(str_enum(ReminderStatus), default=ReminderStatus.PENDING)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    # The young person the reminder is about (for subject access), when it is about one referral.
    referral_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    planned_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship()
