"""Reads about what arrived from devices without a connection (issue 14)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.db import db
from app.referrals.models import Contact


@dataclass(frozen=True)
class OfflineArrivals:
    contacts: int          # contacts that happened in the period and were saved on a device offline
    after_period: int      # of those, how many reached Waypoint after the period ended
    longest_days: int      # the longest wait, in whole days, between happening and reaching Waypoint


def offline_arrivals(start: date, end: date) -> OfflineArrivals:
    """Contacts of the period that were recorded offline. They count on the day they happened (occurred_at);
    created_at is when they arrived. occurred_at is UK time and created_at UTC: at most an hour apart, which
    whole days absorb."""
    lo, hi = datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)
    rows = db.session.execute(sa.select(Contact.occurred_at, Contact.created_at).where(
        Contact.occurred_at >= lo, Contact.occurred_at < hi, Contact.recorded_offline_at.is_not(None))).all()
    return OfflineArrivals(
        contacts=len(rows),
        after_period=sum(1 for r in rows if r.created_at >= hi),
        longest_days=max(((r.created_at - r.occurred_at).days for r in rows), default=0))


def offline_note(start: date, end: date) -> str | None:
    found = offline_arrivals(start, end)
    if not found.contacts:
        return None
    later = f"; {found.after_period} arrived after the period ended" if found.after_period else ""
    wait = f"the longest {found.longest_days} day{'s' if found.longest_days != 1 else ''} later" \
        if found.longest_days else "all on the same day"
    return (f"{found.contacts} contact{'s' if found.contacts != 1 else ''} in this period {'were' if found.contacts != 1 else 'was'} "
            f"recorded on a device without a connection and reached Waypoint later ({wait}{later}). Each counts on "
            "the day it happened, not the day it arrived; the audit trail holds both times.")
