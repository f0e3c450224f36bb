"""Neutralise spreadsheet formula injection (SECURITY.md §7).

A text value that a spreadsheet could read as a formula (OWASP "CSV
injection") is made inert by prefixing an apostrophe. Used for every text
cell written to CSV or XLSX, by exports and imports alike.

Triggers are a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return,
also when preceded by spaces or line breaks (some spreadsheet programs trim
those before parsing) and in their full-width forms (which some locales
accept as formula starters). Numbers that are numbers (int, Decimal,
float) are never touched: only strings are.
"""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_LEADING_BLANKS = " \n\u00a0\u3000"


def is_dangerous(value: Any) -> bool:
    """True if ``value`` is a string a spreadsheet might run as a formula."""
    if not isinstance(value, str) or not value:
        return False
    if value[0] in FORMULA_TRIGGERS:
        return True
    stripped = value.lstrip(_LEADING_BLANKS)
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def neutralise(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if it is a dangerous string;
    anything else (including every non-string) is returned unchanged."""
    if is_dangerous(value):
        return "'" + value
    return value
