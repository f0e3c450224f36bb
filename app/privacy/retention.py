"""Retention rules (pure). SECURITY.md §10; ICO guidance on retention and anonymisation.

- A person is due for anonymisation when every referral they have is closed, and the latest closure is more
  than RETENTION_YEARS ago (an open referral, or one closed more recently, keeps the whole record).
- Anonymising keeps what the returns count: programme, dates, sex, ethnicity, and the *age in completed
  years on every date the rules use* (DOMAIN.md §3.5: age on the reach date; eligibility on the referral
  date). The date of birth is generalised to its month and year: the day becomes the 1st, or the earliest
  day of that month that leaves every such age unchanged, so no age band moves.
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from app.periods import age_on


def retention_cutoff(today: date, years: int) -> date:
    """Closures on or before this date are past the retention period."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def is_expired(closed_dates: Iterable[date | None], cutoff: date) -> bool:
    closed = list(closed_dates)
    return bool(closed) and all(d is not None and d <= cutoff for d in closed)


def generalised_dob(dob: date, keep_age_on: Iterable[date]) -> date:
    """The date of birth with its day blurred, keeping the age on every date in `keep_age_on`."""
    dates = [d for d in keep_age_on if d is not None]
    last_day = calendar.monthrange(dob.year, dob.month)[1]
    for day in range(1, last_day + 1):
        candidate = dob.replace(day=day)
        if all(_same_age(candidate, dob, d) for d in dates):
            return candidate
    return dob  # unreachable: the real day always keeps every age


def _same_age(candidate: date, dob: date, on: date) -> bool:
    if on < candidate:  # a date earlier in the birth month than the candidate day: that day will not do
        return False
    return age_on(candidate, on) == age_on(dob, on)
