"""How a cell, a date, money and a percentage read to a person (HTML, PDF; never XLSX numbers)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.documents.model import EMPTY, STATUS_LABELS, STATUS_TONES, Column, Table
from app.documents.report import Report

# which follows the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PENNY = Decimal("0.01")
_TENTH = Decimal("0.1")

try:  # pragma: no cover - depends on the host's tz database
    from zoneinfo import ZoneInfo

    _LONDON: dt.tzinfo | None = ZoneInfo("Europe/London")
except Exception:  # pragma: no cover
    _LONDON = None



def has_pence(value: Any) -> bool:
    """True when a money value shows non-zero pence once rounded to pence."""
    if isinstance(value, Decimal) and value.is_finite():
        return value.quantize(_PENNY, rounding=ROUND_HALF_UP) % 1 != 0
    return False


def format_date(value: dt.date) -> str:
    """``15 Jun 2024`` (no leading zero, locale-independent)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def to_uk_time(value: dt.datetime) -> dt.datetime:
    """An aware datetime in UK time (Europe/London); naive ones unchanged."""
    if value.tzinfo is not None and _LONDON is not None:
        return value.astimezone(_LONDON)
    return value


def format_datetime(value: dt.datetime) -> str:
    """``15 Jun 2024 at 14:03 BST``: aware times are shown in UK time."""
    value = to_uk_time(value)
    zone = f" {value.tzname()}" if value.tzinfo is not None and value.tzname() else ""
    return f"{format_date(value)} at {value:%H:%M}{zone}"


def format_money(value: Decimal | int, pence: bool | None = None) -> str:
    """``£1,510,000`` or ``£15,041.10``; ``-£7,958.90`` when negative.

    Pence are shown when non-zero (``pence=None``), always (``True``) or
    never (``False``). Renderers pass ``True`` for a whole column when any
    value in it has pence, so a column stays aligned and consistent.
    """
    amount = Decimal(value).quantize(_PENNY, rounding=ROUND_HALF_UP)
    if pence is None:
        pence = amount % 1 != 0
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if pence:
        text = f"{amount:,.2f}"
    else:
        text = f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,.0f}"
    return f"{sign}£{text}"


def format_percent(value: Decimal | int) -> str:
    """A fraction as a percentage to one decimal place: 0.551 → ``55.1%``."""
    pct = (Decimal(value) * 100).quantize(_TENTH, rounding=ROUND_HALF_UP)
    if pct == 0:
        pct = abs(pct)  # never "-0.0%"
    return f"{pct:,.1f}%"


def format_points(value: Decimal | int | float | str | None, places: int = 1) -> str:
    """A figure already in percentage points (a setting such as the match requirement) as a person reads
    it: at most ``places`` decimals, trailing zeros dropped, never an exponent. 20, 20.0, Decimal("2E+1")
    → ``20%``; 0.5 → ``0.5%``; 20.55 → ``20.6%``; None → ``—``."""
    if value is None or value == "":
        return "—"
    pct = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if pct == 0:
        pct = abs(pct)
    text = f"{pct:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def format_cell(value: Any, kind: str, *, pence: bool | None = None) -> str:
    """A cell value as a person reads it.

    None → "—"; int → "1,234"; money → "£1,510,000" / "£15,041.10";
    percent (fraction) → "55.1%"; date → "15 Jun 2024"; status → "At risk".
    A marker string in a numeric column (e.g. "*") is returned unchanged.
    """
    if value is None:
        return EMPTY
    if kind == "status":
        return STATUS_LABELS.get(value, str(value))
    if isinstance(value, str):
        return value
    if kind == "text":
        return str(value)  # e.g. a tier or a year: no thousands separator
    if kind == "money" and isinstance(value, (Decimal, int)):
        return format_money(value, pence)
    if kind == "percent" and isinstance(value, (Decimal, int)):
        return format_percent(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    return str(value)


def format_header_value(value: Any) -> str:
    """A header value as a person reads it."""
    if value is None:
        return EMPTY
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # years and versions: no thousands separator
    return str(value)


def column_pence(table: Table, col: Column) -> bool:
    """Whether a money column shows pence: True when any money value anywhere in the *table* has pence, so
    one table uses one format (pence everywhere or nowhere), and its columns line up."""
    if col.kind != "money":
        return False
    rows = list(table.rows)
    if table.total_row is not None:
        rows.append(table.total_row)
    money_keys = [c.key for c in table.columns if c.kind == "money"]
    return any(has_pence(r.get(k)) for r in rows for k in money_keys)


_NUMBER_TEXT = re.compile(r"^-?[£]?[0-9][0-9,]*(\.[0-9]+)?%?$")


def aligns_right(table: Table, col: Column) -> bool:
    """Whether a column's header and cells are right-aligned: numeric kinds, and text columns whose every
    filled cell reads as a number (a mean such as "8.4"), so a number never sits left of its header."""
    if col.numeric:
        return True
    if col.kind != "text":
        return False
    rows = list(table.rows) + ([table.total_row] if table.total_row is not None else [])
    values = [r.get(col.key) for r in rows if r.get(col.key) not in (None, "", EMPTY)]
    return bool(values) and all(isinstance(v, str) and _NUMBER_TEXT.match(v) for v in values)


def report_for_html(report: Report) -> dict[str, Any]:
    """The report with every cell formatted, for a Jinja template.

    Returns plain dicts; strings are *not* escaped (Jinja's autoescape does
    that). Each cell is ``{"text", "kind", "numeric", "status", "tone"}``.
    """
    report.validate()

    def cells(table: Table, row: dict[str, Any], pences: dict[str, bool], summary: bool) -> list[dict[str, Any]]:
        out = []
        right = {c.key: aligns_right(table, c) for c in table.columns}
        for col in table.columns:
            value = row.get(col.key)
            # Empty cells of subtotal and total rows stay blank, not "—".
            text = "" if summary and value is None else format_cell(value, col.kind, pence=pences[col.key])
            out.append(
                {
                    "text": text,
                    "kind": col.kind,
                    "numeric": right[col.key],
                    "status": value if col.kind == "status" else None,
                    "tone": STATUS_TONES.get(value) if col.kind == "status" else None,
                }
            )
        return out

    sections = []
    for section in report.sections:
        tables = []
        for table in section.tables:
            pences = {c.key: column_pence(table, c) for c in table.columns}
            total = table.labelled_total_row()
            tables.append(
                {
                    "title": table.title,
                    "note": table.note,
                    "columns": [
                        {"key": c.key, "label": c.label, "kind": c.kind, "numeric": aligns_right(table, c)}
                        for c in table.columns
                    ],
                    "rows": [
                        {
                            "subtotal": table.is_subtotal(i),
                            "cells": cells(table, row, pences, table.is_subtotal(i)),
                        }
                        for i, row in enumerate(table.rows)
                    ],
                    "total": None if total is None else cells(table, total, pences, True),
                }
            )
        sections.append(
            {
                "key": section.key,
                "title": section.title,
                "paragraphs": list(section.paragraphs),
                "tables": tables,
                "charts": section.charts,
            }
        )
    return {
        "title": report.title,
        "subtitle": report.subtitle,
        "period_label": report.period_label,
        "classification": report.classification,
        "suppressed": report.suppressed,
        "generated_at": format_datetime(report.generated_at),
        "header": [(label, format_header_value(value)) for label, value in report.header],
        "sections": sections,
        "notes": list(report.notes),
        "warnings": list(report.warnings),
    }
