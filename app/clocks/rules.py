"""First-contact clocks and the due dates of reviews (issue 13): pure rules, values in, values out.

The rule: a programme with a reachable moment sets how soon the first contact attempt is due after the
referral — a number of hours on the clock (A&E 24 h and custody 48 h run round the clock, weekends included)
or a number of working days (school 5 working days: Saturdays, Sundays and bank holidays do not count; the
clock stops at the same time of day on the Nth working day after the day of referral). Bank holidays come
from the `holidays` library (England by default), not from a list typed by hand.

Times are UK wall-clock times as Waypoint stores them (naive); hours are counted in real elapsed time, so a
clock running over the change to or from British Summer Time still gives the young person 24 real hours.

Worked figures: referred Friday 3 Apr 2026 (Good Friday) at 15:00 on a 5-working-day clock → Mon 6 Apr is
Easter Monday, so the days are Tue 7 … Mon 13 Apr: due Mon 13 Apr 2026 at 15:00. Referred Saturday
28 Mar 2026 at 20:00 on a 24 h clock → the clocks go forward that night: due Sunday 29 Mar at 21:00.
A clock turns amber when `amber_hours` or fewer remain (4 h by default) and red once it has run out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, UTC
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from app.db import LabelledEnum

UK = ZoneInfo("Europe/London")
DEFAULT_SUBDIVISION = "ENG"  # England; "SCT", "WLS" and "NIR" have their own bank holidays


class ClockUnit(LabelledEnum):
    HOURS = ("hours", "hours")
    WORKING_DAYS = ("working_days", "working days")


@dataclass(frozen=True)
class ClockSettings:
    first_contact_within: int | None = None      # None: no first-contact clock for this programme
    unit: ClockUnit = ClockUnit.HOURS
    amber_hours: int = 4
    baseline_within_days: int | None = 14        # after the first attended contact
    review_at_weeks: int | None = 12             # after the first attended contact
    exit_at_close: bool = True                   # an exit measure is due when the case closes

    @property
    def has_clock(self) -> bool:
        return bool(self.first_contact_within)

    def describe(self) -> str:
        if not self.has_clock:
            return "No first-contact clock"
        return f"First contact within {self.first_contact_within} {self.unit.label}"


# What a programme of each kind starts with before anyone changes it (a setting per programme).
DEFAULTS_BY_KIND: dict[str, tuple[int, ClockUnit]] = {
    "hospital": (24, ClockUnit.HOURS),
    "custody": (48, ClockUnit.HOURS),
    "school": (5, ClockUnit.WORKING_DAYS),
}


def default_settings(kind: str | None) -> ClockSettings:
    within, unit = DEFAULTS_BY_KIND.get(str(kind or ""), (None, ClockUnit.HOURS))
    return ClockSettings(first_contact_within=within, unit=unit)


@lru_cache(maxsize=32)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year).keys())


def is_working_day(day: date, subdivision: str = DEFAULT_SUBDIVISION) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(subdivision, day.year)


def add_working_days(start: datetime, days: int, subdivision: str = DEFAULT_SUBDIVISION) -> datetime:
    """The same time of day on the `days`-th working day after the day of `start`."""
    day, counted = start.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, subdivision):
            counted += 1
    return datetime.combine(day, start.time())


def add_real_hours(start: datetime, hours: int) -> datetime:
    """UK wall-clock `start` plus `hours` of elapsed time, as UK wall-clock time."""
    aware = start.replace(tzinfo=UK).astimezone(UTC) + timedelta(hours=hours)
    return aware.astimezone(UK).replace(tzinfo=None)


def hours_elapsed(start: datetime, end: datetime) -> float:
    """Real hours between two UK wall-clock times."""
    a = start.replace(tzinfo=UK).astimezone(UTC)
    b = end.replace(tzinfo=UK).astimezone(UTC)
    return (b - a).total_seconds() / 3600


def first_contact_due(referred_at: datetime | None, settings: ClockSettings,
                      subdivision: str = DEFAULT_SUBDIVISION) -> datetime | None:
    if referred_at is None or not settings.has_clock:
        return None
    if settings.unit is ClockUnit.WORKING_DAYS:
        return add_working_days(referred_at, settings.first_contact_within, subdivision)
    return add_real_hours(referred_at, settings.first_contact_within)


RED, AMBER, GREEN, GREY = "red", "amber", "green", "grey"


def clock_state(due_at: datetime, now: datetime, amber_hours: int) -> str:
    left = hours_elapsed(now, due_at)
    if left < 0:
        return RED
    if left <= amber_hours:
        return AMBER
    return GREEN


def describe_left(due_at: datetime, now: datetime) -> str:
    """'23 h 10 min left', '45 min left', '2 h 5 min late', '3 days late' — what the worker reads."""
    minutes = int(round(hours_elapsed(now, due_at) * 60))
    late = minutes < 0
    minutes = abs(minutes)
    if minutes >= 72 * 60:
        text = f"{minutes // (24 * 60)} days"
    elif minutes >= 60:
        text = f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")
    else:
        text = f"{minutes} min"
    return f"{text} late" if late else f"{text} left"


def days_text(due: date, today: date) -> str:
    delta = (due - today).days
    if delta > 1:
        return f"due in {delta} days"
    if delta == 1:
        return "due tomorrow"
    if delta == 0:
        return "due today"
    return f"{-delta} day{'s' if delta != -1 else ''} overdue"


def day_state(due: date, today: date) -> str:
    if today > due:
        return RED
    if today == due:
        return AMBER
    return GREEN
