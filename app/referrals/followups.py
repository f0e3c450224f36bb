"""Trial follow-ups at 6 and 12 months (DOMAIN.md §6), and the caseload's "needs doing" flags.

A follow-up is due from two weeks before its date (referral date + 6 or 12 calendar months) until a
measure is recorded on or after that opening day. No contact yet, or none in 14 days, are flagged on
open referrals. Pure: values in, labels out, so caseload pages compute flags without extra queries.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

FOLLOW_UP_MONTHS = (6, 12)
OPENS_BEFORE = timedelta(days=14)
STALE_AFTER_DAYS = 14


def add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def follow_up_due(referred_on: date, in_trial: bool, today: date, last_measure_on: date | None) -> tuple[int, date] | None:
    """(months, due date) of the follow-up now due, latest first; None if nothing is due."""
    if not in_trial:
        return None
    for months in sorted(FOLLOW_UP_MONTHS, reverse=True):
        due = add_months(referred_on, months)
        opens = due - OPENS_BEFORE
        if today >= opens:
            if last_measure_on is None or last_measure_on < opens:
                return months, due
            return None
    return None


def needs_doing(*, last_contact_at: datetime | None, today: date, referred_on: date, in_trial: bool,
                last_measure_on: date | None) -> list[str]:
    flags = []
    if last_contact_at is None:
        flags.append("No contact yet")
    elif (today - last_contact_at.date()).days > STALE_AFTER_DAYS:
        flags.append(f"No contact in {STALE_AFTER_DAYS} days")
    due = follow_up_due(referred_on, in_trial, today, last_measure_on)
    if due:
        flags.append(f"{due[0]}-month follow-up due {due[1].strftime('%-d %b %Y')}")
    return flags


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 3600, 1)


def median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else round((values[mid - 1] + values[mid]) / 2, 1)
