"""Programme eligibility by age on the referral date (DOMAIN.md §2 "eligibility").

Age is completed years on the referral date, from the date of birth, or else from an estimated age
(moved on by the years since it was estimated). With neither, eligibility cannot be judged and the
referral is allowed (the missing age shows on the data-quality list). Outside the range a referral
needs an override reason, which the service records.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.periods import age_on


@dataclass(frozen=True)
class Eligibility:
    age: int | None
    eligible: bool
    message: str | None = None


def age_for_referral(date_of_birth: date | None, estimated_age: int | None, estimated_on: date | None,
                     referred_on: date) -> int | None:
    if date_of_birth is not None:
        return age_on(date_of_birth, referred_on) if referred_on >= date_of_birth else None
    if estimated_age is not None:
        years_since = (referred_on - estimated_on).days // 365 if estimated_on else 0
        return estimated_age + max(years_since, 0)
    return None


def check(age: int | None, min_age: int | None, max_age: int | None, programme_name: str = "This programme") -> Eligibility:
    if age is None or (min_age is None and max_age is None):
        return Eligibility(age, True)
    if (min_age is not None and age < min_age) or (max_age is not None and age > max_age):
        lo = min_age if min_age is not None else 0
        span = f"{lo} to {max_age}" if max_age is not None else f"{lo} and over"
        return Eligibility(age, False, f"They are {age} on the referral date; {programme_name} takes ages {span}")
    return Eligibility(age, True)
