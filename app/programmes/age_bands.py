"""Age bands for targets and returns (pure).

The rule (DOMAIN.md §3.5 and §3.7):

- A person's age for counting is their completed years on the reach date of
  their first counted referral in the window. Turning 25 later in the year does
  not move them.
- Target bands: 24 and under, 25 and over, or age not known. With no date of
  birth the recorded estimated age is used; with neither the person still
  counts as reached but is credited to no band (and is listed as a
  data-quality exception by the caller).
- Returns also break reach down by finer bands: under 10, 10 to 14, 15 to 17,
  18 to 24, 25 and over, and not known.

Report builders aggregate in SQL, so the band edges are exported as constants
(``TARGET_BAND_UPPER``, ``FINE_BAND_EDGES``, ``FINE_BAND_RANGES``) for them to
build ``CASE`` expressions from, instead of restating the numbers.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from app.periods import age_on

__all__ = [
    "FINE_BAND_EDGES",
    "FINE_BAND_RANGES",
    "TARGET_BAND_UPPER",
    "AgeBand",
    "FineBand",
    "age_at_reach",
    "fine_band",
    "target_band",
]

# Oldest age (completed years) in the "24 and under" band.
TARGET_BAND_UPPER = 24

# Lowest age of each fine band after "under 10", in order: 10–14, 15–17, 18–24, 25 and over.
FINE_BAND_EDGES: tuple[int, ...] = (10, 15, 18, TARGET_BAND_UPPER + 1)


class AgeBand(StrEnum):
    """Target age band (DOMAIN.md §2 "Target" and §3.5). Values are stored; labels are shown."""

    AGED_24_AND_UNDER = "24_and_under"
    AGED_25_AND_OVER = "25_and_over"
    NOT_KNOWN = "not_known"

    @property
    def label(self) -> str:
        return _AGE_BAND_LABELS[self]


_AGE_BAND_LABELS = {
    AgeBand.AGED_24_AND_UNDER: "24 and under",
    AgeBand.AGED_25_AND_OVER: "25 and over",
    AgeBand.NOT_KNOWN: "Age not known",
}


class FineBand(StrEnum):
    """Finer age band for the quarterly return (DOMAIN.md §3.7), in report order."""

    UNDER_10 = "under_10"
    AGED_10_TO_14 = "10_to_14"
    AGED_15_TO_17 = "15_to_17"
    AGED_18_TO_24 = "18_to_24"
    AGED_25_AND_OVER = "25_and_over"
    NOT_KNOWN = "not_known"

    @property
    def label(self) -> str:
        return _FINE_BAND_LABELS[self]

    @property
    def target_band(self) -> AgeBand:
        """The target band this fine band rolls up into, so the two breakdowns always agree."""
        if self is FineBand.NOT_KNOWN:
            return AgeBand.NOT_KNOWN
        if self is FineBand.AGED_25_AND_OVER:
            return AgeBand.AGED_25_AND_OVER
        return AgeBand.AGED_24_AND_UNDER


# GOV.UK style writes ranges with "to" rather than a dash.
_FINE_BAND_LABELS = {
    FineBand.UNDER_10: "Under 10",
    FineBand.AGED_10_TO_14: "10 to 14",
    FineBand.AGED_15_TO_17: "15 to 17",
    FineBand.AGED_18_TO_24: "18 to 24",
    FineBand.AGED_25_AND_OVER: "25 and over",
    FineBand.NOT_KNOWN: "Age not known",
}

# (band, lowest age, highest age or None when open-ended), inclusive, for SQL CASE builders.
FINE_BAND_RANGES: tuple[tuple[FineBand, int, int | None], ...] = (
    (FineBand.UNDER_10, 0, FINE_BAND_EDGES[0] - 1),
    (FineBand.AGED_10_TO_14, FINE_BAND_EDGES[0], FINE_BAND_EDGES[1] - 1),
    (FineBand.AGED_15_TO_17, FINE_BAND_EDGES[1], FINE_BAND_EDGES[2] - 1),
    (FineBand.AGED_18_TO_24, FINE_BAND_EDGES[2], FINE_BAND_EDGES[3] - 1),
    (FineBand.AGED_25_AND_OVER, FINE_BAND_EDGES[3], None),
)


def _check_age(age: int | None) -> int | None:
    if age is None:
        return None
    if isinstance(age, bool) or not isinstance(age, int):
        raise TypeError(f"age must be a whole number of years or None, not {age!r}")
    if age < 0:
        raise ValueError(f"age cannot be negative ({age})")
    return age


def target_band(age: int | None) -> AgeBand:
    """Target band for an age in completed years: 24 and under, 25 and over, or not known (None)."""
    age = _check_age(age)
    if age is None:
        return AgeBand.NOT_KNOWN
    return AgeBand.AGED_24_AND_UNDER if age <= TARGET_BAND_UPPER else AgeBand.AGED_25_AND_OVER


def fine_band(age: int | None) -> FineBand:
    """Fine band for an age in completed years, or ``FineBand.NOT_KNOWN`` for None."""
    age = _check_age(age)
    if age is None:
        return FineBand.NOT_KNOWN
    for band, lowest, highest in FINE_BAND_RANGES:
        if lowest <= age and (highest is None or age <= highest):
            return band
    raise AssertionError(f"FINE_BAND_RANGES does not cover age {age}")  # pragma: no cover


def age_at_reach(
    date_of_birth: date | None,
    estimated_age: int | None,
    estimated_on: date | None,
    reach_date: date,
) -> int | None:
    """Age in completed years on the reach date, from the best evidence held.

    - A date of birth wins: completed years on ``reach_date``.
    - Otherwise an estimated age, moved on (or back) by the whole years between
      the day it was estimated and the reach date, never below 0. An estimate
      with no date is taken as it stands.
    - With neither, None ("age not known").
    """
    if date_of_birth is not None:
        return age_on(date_of_birth, reach_date)
    estimated_age = _check_age(estimated_age)
    if estimated_age is None:
        return None
    if estimated_on is None:
        return estimated_age
    if reach_date >= estimated_on:
        years = age_on(estimated_on, reach_date)
    else:
        years = -age_on(reach_date, estimated_on)
    return max(estimated_age + years, 0)
