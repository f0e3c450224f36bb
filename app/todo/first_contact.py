"""Whether a first contact met its clock, and — for one written down on a phone without a connection (issue 14) —
when it was recorded offline and when it arrived.

The clock is judged on when the contact *happened* (``occurred_at``), never on when it reached Waypoint: a
contact made on time in a hospital basement is on time. Where a contact was recorded offline and arrived later,
the pages that show the clock say both times ("recorded offline at 10:05, arrived 14:30"), so nobody wonders why
a referral that was shown as overdue is now counted within its clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.clocks.models import settings_for
from app.clocks.rules import ClockSettings, first_contact_due, hours_elapsed
from app.clocks.services import clock_row
from app.db import db
from app.referrals.models import Contact
from app.todo.items import referred_moment, settings_of_row

UK = ZoneInfo("Europe/London")


def uk_from_utc(value: datetime | None) -> datetime | None:
    """A bookkeeping moment stored as naive UTC, as a naive UK wall-clock time."""
    return value.replace(tzinfo=UTC).astimezone(UK).replace(tzinfo=None) if value else None


@dataclass
class FirstContact:
    referral_id: int
    occurred_at: datetime                 # UK wall clock: when it happened (what the clock uses)
    due_at: datetime | None               # None: the programme has no first-contact clock
    settings: ClockSettings
    recorded_offline_at: datetime | None  # UK wall clock: when it was saved on a phone without a connection
    arrived_at: datetime | None           # UK wall clock: when it reached Waypoint
    person: str | None = None
    site: str | None = None

    @property
    def within(self) -> bool | None:
        return None if self.due_at is None else self.occurred_at <= self.due_at

    @property
    def verdict(self) -> str:
        """'within the 24-hour clock', '2 h 5 min after the 24-hour clock ran out', or 'no clock'."""
        if self.due_at is None:
            return "no first-contact clock"
        clock = f"the {self.settings.first_contact_within}-{self.settings.unit.label.rstrip('s').replace(' ', '-')} clock"
        if self.within:
            return f"within {clock}"
        minutes = int(round(hours_elapsed(self.due_at, self.occurred_at) * 60))
        if minutes >= 72 * 60:
            late = f"{minutes // (24 * 60)} days"
        elif minutes >= 60:
            late = f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")
        else:
            late = f"{minutes} min"
        return f"{late} after {clock} ran out"

    @property
    def arrived_later(self) -> bool:
        """Recorded offline, and it reached Waypoint at another minute than it was saved on the phone."""
        if self.recorded_offline_at is None or self.arrived_at is None:
            return False
        return self.arrived_at.replace(second=0, microsecond=0) != self.recorded_offline_at.replace(
            second=0, microsecond=0)


def _first_contact_row(referral_id: int, occurred_at: datetime):
    return db.session.execute(
        sa.select(Contact.recorded_offline_at, Contact.created_at)
        .where(Contact.referral_id == referral_id, Contact.occurred_at == occurred_at)
        .order_by(Contact.id).limit(1)).first()


def for_referral(referral) -> FirstContact | None:
    """The case page's first contact: when, whether within the clock, and its offline times."""
    if referral.first_contact_at is None:
        return None
    settings = settings_for(referral.programme, clock_row(referral.programme_id))
    row = _first_contact_row(referral.id, referral.first_contact_at)
    return FirstContact(
        referral_id=referral.id, occurred_at=referral.first_contact_at, settings=settings,
        due_at=first_contact_due(referred_moment(referral), settings),
        recorded_offline_at=uk_from_utc(row.recorded_offline_at) if row else None,
        arrived_at=uk_from_utc(row.created_at) if row and row.recorded_offline_at else None)


def from_rows(rows) -> list[FirstContact]:
    """Rows of ``todo.queries.offline_first_contacts``: one per referral (the earliest contact at that moment),
    latest first."""
    seen: dict[int, FirstContact] = {}
    for row in rows:
        if row.id in seen:
            continue
        settings = settings_of_row(row)
        seen[row.id] = FirstContact(
            referral_id=row.id, occurred_at=row.first_contact_at, settings=settings,
            due_at=first_contact_due(referred_moment(row), settings),
            recorded_offline_at=uk_from_utc(row.recorded_offline_at), arrived_at=uk_from_utc(row.created_at),
            person=f"{row.given_name} {row.family_name}", site=row.site)
    found = [f for f in seen.values() if f.arrived_later]
    return sorted(found, key=lambda f: (f.occurred_at, f.referral_id), reverse=True)
