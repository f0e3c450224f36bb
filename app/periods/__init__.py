"""Financial years, quarters, academic years and counting windows (pure).

The rule (DOMAIN.md §1 "Calendar"):

- Financial year (FY) *y* runs from 1 April *y* to 31 March *y+1* and is named
  "2024-25". Its quarters are Q1 April–June, Q2 July–September, Q3
  October–December and Q4 January–March, so every date falls in exactly one
  (FY, quarter).
- A counting window per programme per FY defaults to the whole FY and may be
  overridden (School Navigators 2024-25 counts from 1 September 2024 to
  31 March 2025).

Also here, because the counting and target rules (DOMAIN.md §3) need them:

- ``age_on`` — completed years on a date (§3.5 age band on the reach date).
  Someone born on 29 February has their birthday on 1 March in common years,
  the usual reading of English law.
- ``pro_rata_fraction`` — the share of a window elapsed up to and including an
  "as at" date, for "expected so far" target figures.
- Academic years (1 September – 31 August), which schools use; named "2024/25"
  as the Department for Education writes them, so they are never confused with
  a financial year label.

Nothing here reads the clock: every function that depends on "today" takes the
date as an argument. Datetimes are accepted wherever a date is and reduced to
their date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

__all__ = [
    "ACADEMIC_YEAR_START_MONTH",
    "FY_START_MONTH",
    "FyQuarter",
    "Window",
    "academic_year_bounds",
    "academic_year_label",
    "academic_year_of",
    "age_on",
    "days_in_fy",
    "default_window",
    "fy_bounds",
    "fy_label",
    "fy_of",
    "fy_quarter_of",
    "fy_window",
    "parse_fy_label",
    "pro_rata_fraction",
    "quarter_bounds",
    "quarter_label",
    "quarter_of",
    "quarter_of_fy_date",
    "quarter_window",
    "quarters_in_window",
]

FY_START_MONTH = 4
ACADEMIC_YEAR_START_MONTH = 9

_FY_LABEL = re.compile(r"^\s*(?:FY\s*)?(\d{4})\s*[-/\u2013]\s*(\d{2}|\d{4})\s*$", re.IGNORECASE)

# date.max / date.min cannot carry a following or preceding financial year.
_MIN_YEAR = date.min.year
_MAX_YEAR = date.max.year - 1


class FyQuarter(NamedTuple):
    """A financial year (by its starting calendar year) and a quarter 1–4."""

    fy: int
    quarter: int


def _as_date(value: date, name: str = "date") -> date:
    # datetime is a subclass of date; comparing the two raises, so reduce first.
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")
    return value


def _check_fy(fy: int) -> int:
    if isinstance(fy, bool) or not isinstance(fy, int):
        raise TypeError(f"financial year must be an int such as 2024, not {fy!r}")
    if not _MIN_YEAR <= fy <= _MAX_YEAR:
        raise ValueError(f"financial year {fy} is out of range ({_MIN_YEAR} to {_MAX_YEAR})")
    return fy


def _check_quarter(quarter: int) -> int:
    if isinstance(quarter, bool) or not isinstance(quarter, int):
        raise TypeError(f"quarter must be an int from 1 to 4, not {quarter!r}")
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1, 2, 3 or 4, not {quarter}")
    return quarter


def fy_of(d: date) -> int:
    """Return the financial year containing ``d``, as its starting calendar year (31 Mar 2025 → 2024)."""
    d = _as_date(d)
    return d.year if d.month >= FY_START_MONTH else d.year - 1


def quarter_of(d: date) -> int:
    """Return the financial-year quarter (1–4) containing ``d``: April–June is Q1, January–March is Q4."""
    d = _as_date(d)
    return (d.month - FY_START_MONTH) % 12 // 3 + 1


def fy_quarter_of(d: date) -> FyQuarter:
    """Return the (financial year, quarter) containing ``d``."""
    return FyQuarter(fy_of(d), quarter_of(d))


# The name used in early design notes; kept so either reads naturally at a call site.
quarter_of_fy_date = fy_quarter_of


def fy_label(fy: int) -> str:
    """Name a financial year the way VRU documents do: 2024 → "2024-25"."""
    _check_fy(fy)
    return f"{fy}-{(fy + 1) % 100:02d}"


def parse_fy_label(label: str) -> int:
    """Read a financial-year name back to its starting year.

    Accepts "2024-25" (the canonical form), and the common variants "2024/25",
    "2024-2025" and "FY2024-25". The second year must follow the first.
    """
    if not isinstance(label, str):
        raise TypeError(f"financial year label must be a string, not {type(label).__name__}")
    match = _FY_LABEL.match(label)
    if match is None:
        raise ValueError(f'"{label}" is not a financial year; write it like "2024-25"')
    start, end = int(match.group(1)), match.group(2)
    expected_end = start + 1
    if (len(end) == 2 and int(end) != expected_end % 100) or (len(end) == 4 and int(end) != expected_end):
        raise ValueError(f'"{label}" is not a financial year: the second year must follow {start}')
    return _check_fy(start)


def fy_bounds(fy: int) -> tuple[date, date]:
    """First and last day of financial year ``fy``: (1 April fy, 31 March fy+1)."""
    _check_fy(fy)
    return date(fy, FY_START_MONTH, 1), date(fy + 1, FY_START_MONTH, 1) - timedelta(days=1)


def quarter_bounds(fy: int, quarter: int) -> tuple[date, date]:
    """First and last day of ``quarter`` (1–4) of financial year ``fy``."""
    _check_fy(fy)
    _check_quarter(quarter)
    start_month_index = FY_START_MONTH - 1 + (quarter - 1) * 3  # 0-based months since January of fy
    year, month0 = divmod(start_month_index, 12)
    starts_on = date(fy + year, month0 + 1, 1)
    next_year, next_month0 = divmod(start_month_index + 3, 12)
    ends_on = date(fy + next_year, next_month0 + 1, 1) - timedelta(days=1)
    return starts_on, ends_on


def quarter_label(fy: int, quarter: int) -> str:
    """Name a reporting period: (2024, 2) → "2024-25 Q2"."""
    _check_quarter(quarter)
    return f"{fy_label(fy)} Q{quarter}"


def days_in_fy(fy: int) -> int:
    """Number of days in financial year ``fy``: 366 when it contains 29 February (2023-24), else 365."""
    starts_on, ends_on = fy_bounds(fy)
    return (ends_on - starts_on).days + 1


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive range of dates, such as a programme's counting window for a year."""

    starts_on: date
    ends_on: date

    def __post_init__(self) -> None:
        starts_on = _as_date(self.starts_on, "starts_on")
        ends_on = _as_date(self.ends_on, "ends_on")
        if ends_on < starts_on:
            raise ValueError(
                f"a window cannot end ({ends_on.isoformat()}) before it starts ({starts_on.isoformat()})"
            )
        # Frozen, so normalise datetimes through object.__setattr__.
        object.__setattr__(self, "starts_on", starts_on)
        object.__setattr__(self, "ends_on", ends_on)

    @property
    def days(self) -> int:
        """Number of days in the window, counting both ends."""
        return (self.ends_on - self.starts_on).days + 1

    def contains(self, d: date) -> bool:
        """True when ``d`` falls on or between the first and last day."""
        d = _as_date(d)
        return self.starts_on <= d <= self.ends_on

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.contains(d)

    def intersection(self, other: Window) -> Window | None:
        """The days both windows share, or None when they do not overlap."""
        starts_on = max(self.starts_on, other.starts_on)
        ends_on = min(self.ends_on, other.ends_on)
        return Window(starts_on, ends_on) if starts_on <= ends_on else None

    def overlap_days(self, other: Window) -> int:
        """Number of days both windows share (0 when they do not overlap)."""
        shared = self.intersection(other)
        return shared.days if shared is not None else 0


def fy_window(fy: int) -> Window:
    """The whole of financial year ``fy`` as a window."""
    return Window(*fy_bounds(fy))


def default_window(fy: int) -> Window:
    """The counting window a programme gets for ``fy`` unless it is overridden: the whole FY."""
    return fy_window(fy)


def quarter_window(fy: int, quarter: int) -> Window:
    """One financial-year quarter as a window."""
    return Window(*quarter_bounds(fy, quarter))


def quarters_in_window(window: Window) -> list[FyQuarter]:
    """Every (FY, quarter) that has at least one day inside ``window``, in date order.

    School Navigators 2024-25 (1 Sep 2024 – 31 Mar 2025) gives Q2, Q3 and Q4 of 2024-25.
    """
    quarters: list[FyQuarter] = []
    current = fy_quarter_of(window.starts_on)
    last = fy_quarter_of(window.ends_on)
    while True:
        quarters.append(current)
        if current == last:
            return quarters
        fy, quarter = current
        current = FyQuarter(fy, quarter + 1) if quarter < 4 else FyQuarter(fy + 1, 1)


def academic_year_of(d: date) -> int:
    """The academic year (1 September – 31 August) containing ``d``, as its starting year."""
    d = _as_date(d)
    return d.year if d.month >= ACADEMIC_YEAR_START_MONTH else d.year - 1


def academic_year_label(year: int) -> str:
    """Name an academic year as schools do: 2024 → "2024/25"."""
    _check_fy(year)
    return f"{year}/{(year + 1) % 100:02d}"


def academic_year_bounds(year: int) -> tuple[date, date]:
    """First and last day of academic year ``year``: (1 September year, 31 August year+1)."""
    _check_fy(year)
    return date(year, ACADEMIC_YEAR_START_MONTH, 1), date(year + 1, ACADEMIC_YEAR_START_MONTH, 1) - timedelta(
        days=1
    )


def pro_rata_fraction(window: Window, as_at: date) -> Decimal:
    """Share of ``window`` elapsed up to and including ``as_at``, from 0 to 1.

    Used for "expected so far" against a target: with a whole-year target of 365
    and ``as_at`` the last day of Q1 2024-25 (30 June 2024), 91 of 365 days have
    elapsed. Before the window opens the share is 0; from its last day on it is 1.
    The result is exact to Decimal precision; callers round when they display it.
    """
    if not isinstance(window, Window):
        raise TypeError(f"window must be a Window, not {type(window).__name__}")
    as_at = _as_date(as_at, "as_at")
    if as_at < window.starts_on:
        return Decimal(0)
    if as_at >= window.ends_on:
        return Decimal(1)
    elapsed = (as_at - window.starts_on).days + 1
    return Decimal(elapsed) / Decimal(window.days)


def age_on(date_of_birth: date, on_date: date) -> int:
    """Completed years of age on ``on_date`` (DOMAIN.md §3.5).

    Someone born 1 October 1999 is 24 on 15 June 2024 and 25 from 1 October 2024.
    """
    date_of_birth = _as_date(date_of_birth, "date_of_birth")
    on_date = _as_date(on_date, "on_date")
    if on_date < date_of_birth:
        raise ValueError(
            f"cannot give an age on {on_date.isoformat()}: it is before the date of birth "
            f"{date_of_birth.isoformat()}"
        )
    had_birthday = (on_date.month, on_date.day) >= (date_of_birth.month, date_of_birth.day)
    return on_date.year - date_of_birth.year - (0 if had_birthday else 1)
