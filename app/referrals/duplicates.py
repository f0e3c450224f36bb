"""Duplicate people (DOMAIN.md §3.4).

Deterministic key: the normalised name (accents, apostrophes, hyphens, case folded) plus date of
birth, or the NHS number alone. Fuzzier candidates for the merge queue: the same date of birth and
the same normalised family name, or the same normalised full name with no date of birth on one side.
Pure: works on plain values, so the queue's SQL and these rules can be checked against each other.
"""
from __future__ import annotations

from datetime import date

from app.referrals.names import fold


def same_person_key(name_key_a: str, dob_a: date | None, nhs_a: str | None,
                    name_key_b: str, dob_b: date | None, nhs_b: str | None) -> bool:
    if nhs_a and nhs_b and nhs_a == nhs_b:
        return True
    return bool(dob_a and dob_a == dob_b and name_key_a == name_key_b)


def likely_same(a: dict, b: dict) -> str | None:
    """Why two people look like one (a short reason), or None. Keys: name_key, family_name, dob, nhs."""
    if a.get("nhs") and a.get("nhs") == b.get("nhs"):
        return "Same NHS number"
    if a.get("dob") and a.get("dob") == b.get("dob"):
        if a["name_key"] == b["name_key"]:
            return "Same name and date of birth"
        if fold(a.get("family_name")) == fold(b.get("family_name")):
            return "Same family name and date of birth"
    if a["name_key"] == b["name_key"] and (not a.get("dob") or not b.get("dob")):
        return "Same name, one has no date of birth"
    return None


AGE_TOLERANCE = 2  # years either side: estimates are rough


def plausible_age_match(estimated_age: int | None, estimated_on: date | None, candidate_age: int | None) -> bool:
    """Without a date of birth, a same-name record is still a candidate unless both ages are known and are
    more than ``AGE_TOLERANCE`` years apart (``candidate_age`` is the candidate's age as at ``estimated_on``)."""
    if estimated_age is None or candidate_age is None:
        return True
    return abs(estimated_age - candidate_age) <= AGE_TOLERANCE
