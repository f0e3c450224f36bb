"""Name normalisation for search and duplicate detection (DOMAIN.md §3.4).

Accents, apostrophes, hyphens, spaces and case are folded, so "Zoë O'Brien-Smith" and
"zoe obrien smith" share a key.
"""
from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("-", " ")
    text = _NON_ALNUM.sub("", text)
    return _SPACES.sub(" ", text).strip()


def name_key(given: str | None, family: str | None) -> str:
    return f"{fold(given)} {fold(family)}".strip()


def normalise_nhs_number(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits or None


def valid_nhs_number(value: str) -> bool:
    """Modulus 11 check digit (NHS Data Dictionary)."""
    digits = normalise_nhs_number(value)
    if not digits or len(digits) != 10:
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])
