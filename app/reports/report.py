"""The format-agnostic report model (DESIGN.md §4.8).

A builder (``app/reports/builders/*.py``) runs SQL aggregates and returns a
:class:`Report`: plain data with typed columns and no presentation. The
renderers (``render_pdf``, ``render_xlsx``, ``render_csv``, ``render_json``)
turn any Report into a file; none of them knows which report it is given.

Cell values by column kind (``None`` is always allowed and means "no value",
shown as an em dash):

=========  ==========================================================
kind       value
=========  ==========================================================
text       ``str`` (or ``int``, e.g. a tier number)
int        ``int``
money      ``Decimal`` pounds (or ``int`` whole pounds); never ``float``
percent    ``Decimal`` fraction 0..1 (0.551 is 55.1%); never ``float``
date       ``datetime.date``
status     one of :data:`STATUS_LABELS` ("pass", "at_risk", "fail",
           "not_applicable", "green", "amber", "red")
=========  ==========================================================

A numeric column (int, money, percent) may also hold a short marker string
such as ``"*"`` where disclosure control has suppressed the figure
(DOMAIN.md §7); renderers show the marker as-is.

Row keys beginning with ``_`` are metadata, never rendered as columns. The
one the renderers understand is ``"_style": "subtotal"``, which is the same
as listing the row's index in ``Table.subtotal_row_indexes``. Metadata values
must be JSON-native (str, int, bool, None) so snapshots round-trip.

``Report.to_dict()`` / ``Report.from_dict()`` give the JSON-safe form used by
the JSON renderer and for immutable snapshots of locked returns: Decimals
become strings holding the exact value, dates ISO 8601 strings.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FORMAT_VERSION = 1

COLUMN_KINDS = frozenset({"text", "int", "money", "percent", "date", "status"})
NUMERIC_KINDS = frozenset({"int", "money", "percent"})
CHART_KINDS = frozenset({"bar", "hbar", "vbar"})

STATUS_LABELS: dict[str, str] = {
    "pass": "Pass",
    "at_risk": "At risk",
    "fail": "Fail",
    "not_applicable": "Not applicable",
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
}

#: Traffic-light tone of each status, for renderers that colour cells.
STATUS_TONES: dict[str, str] = {
    "pass": "good",
    "green": "good",
    "at_risk": "warn",
    "amber": "warn",
    "fail": "bad",
    "red": "bad",
    "not_applicable": "neutral",
}

SUBTOTAL = "subtotal"
EMPTY = "\u2014"  # em dash: shown for None

# Month names are spelt out here rather than taken from strftime("%b"),
# which follows the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PENNY = Decimal("0.01")
_TENTH = Decimal("0.1")
_DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")

try:  # pragma: no cover - depends on the host's tz database
    from zoneinfo import ZoneInfo

    _LONDON: dt.tzinfo | None = ZoneInfo("Europe/London")
except Exception:  # pragma: no cover
    _LONDON = None


class ReportError(ValueError):
    """A Report does not follow the model's rules (a builder bug)."""


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in COLUMN_KINDS:
            raise ReportError(
                f"column {self.key!r}: kind {self.kind!r} is not one of "
                f"{sorted(COLUMN_KINDS)}"
            )

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    total_row: dict[str, Any] | None = None
    note: str | None = None
    subtotal_row_indexes: list[int] = field(default_factory=list)

    def is_subtotal(self, index: int) -> bool:
        """True for a subtotal row (by index or by its ``_style`` marker)."""
        if index in self.subtotal_row_indexes:
            return True
        return self.rows[index].get("_style") == SUBTOTAL

    def labelled_total_row(self) -> dict[str, Any] | None:
        """The total row, with "Total" in the first column if a text column
        was left empty, so every renderer labels it the same way."""
        if self.total_row is None:
            return None
        row = dict(self.total_row)
        if self.columns:
            first = self.columns[0]
            if first.kind == "text" and row.get(first.key) in (None, ""):
                row[first.key] = "Total"
        return row

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


@dataclass
class Chart:
    """A bar chart, e.g. reach against target by programme.

    ``series`` is a list of ``(name, values)``; each ``values`` list has one
    number per category (``None`` for no value). ``kind`` is "bar" (the
    renderer picks horizontal or vertical bars to suit the labels), "hbar" or
    "vbar". ``value_kind`` ("int", "money" or "percent") formats the axis.
    """

    title: str
    categories: list[str]
    series: list[tuple[str, list[Any]]]
    kind: str = "bar"
    value_kind: str = "int"

    def __post_init__(self) -> None:
        self.categories = list(self.categories)
        self.series = [(name, list(values)) for name, values in self.series]
        if self.kind not in CHART_KINDS:
            raise ReportError(f"chart {self.title!r}: kind {self.kind!r} is not one of {sorted(CHART_KINDS)}")
        if self.value_kind not in NUMERIC_KINDS:
            raise ReportError(f"chart {self.title!r}: value_kind {self.value_kind!r} is not one of {sorted(NUMERIC_KINDS)}")


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Report:
    """A whole report. ``header`` is a list of ``(label, value)`` pairs (VRU,
    grant reference, FY, quarter, version, prepared by, approved by, date…);
    values are ``str``, ``int``, ``date``, ``datetime`` or ``None``.

    ``classification`` (e.g. "OFFICIAL-SENSITIVE") is printed on every PDF
    page when set. ``suppressed`` says disclosure control was applied.
    """

    title: str
    subtitle: str = ""
    period_label: str = ""
    header: list[tuple[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generated_at: dt.datetime = field(default_factory=_utcnow)
    suppressed: bool = False
    classification: str | None = None

    def __post_init__(self) -> None:
        self.header = [(label, value) for label, value in self.header]

    # -- checking ---------------------------------------------------------

    def validate(self) -> Report:
        """Raise :class:`ReportError` naming the first value that breaks the
        model's rules; return the report so calls can chain."""
        for label, value in self.header:
            _check_header_value(label, value)
        seen_sections: set[str] = set()
        for section in self.sections:
            if section.key in seen_sections:
                raise ReportError(f"section key {section.key!r} is used twice")
            seen_sections.add(section.key)
            for table in section.tables:
                _check_table(section, table)
            for chart in section.charts:
                _check_chart(section, chart)
        return self

    # -- snapshots --------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data: Decimals as exact strings, dates as ISO 8601."""
        self.validate()
        return {
            "format_version": FORMAT_VERSION,
            "title": self.title,
            "subtitle": self.subtitle,
            "period_label": self.period_label,
            "classification": self.classification,
            "suppressed": self.suppressed,
            "generated_at": self.generated_at.isoformat(),
            "header": [_encode_header(label, value) for label, value in self.header],
            "sections": [_section_to_dict(s) for s in self.sections],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ReportError(f"unsupported report format_version {version!r}")
        return cls(
            title=data["title"],
            subtitle=data.get("subtitle", ""),
            period_label=data.get("period_label", ""),
            classification=data.get("classification"),
            suppressed=bool(data.get("suppressed", False)),
            generated_at=dt.datetime.fromisoformat(data["generated_at"]),
            header=[_decode_header(h) for h in data.get("header", [])],
            sections=[_section_from_dict(s) for s in data.get("sections", [])],
            notes=list(data.get("notes", [])),
            warnings=list(data.get("warnings", [])),
        )


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _check_header_value(label: str, value: Any) -> None:
    if value is None or isinstance(value, (str, dt.date)):
        return
    if isinstance(value, int) and not isinstance(value, bool):
        return
    raise ReportError(
        f"header {label!r}: {type(value).__name__} values are not allowed; "
        "use str, int, date, datetime or None (format money as text)"
    )


def _check_cell(where: str, col: Column, value: Any) -> None:
    if value is None:
        return
    kind = col.kind
    if isinstance(value, bool):
        raise ReportError(f"{where}: bool is not a {kind} value")
    if kind == "text":
        ok = isinstance(value, (str, int))
    elif kind == "int":
        ok = isinstance(value, (int, str))
    elif kind in ("money", "percent"):
        ok = isinstance(value, (Decimal, int, str))
        if isinstance(value, Decimal) and not value.is_finite():
            raise ReportError(f"{where}: {value} is not a finite amount")
        if isinstance(value, float):
            raise ReportError(f"{where}: float is not exact; use Decimal for {kind}")
    elif kind == "date":
        ok = isinstance(value, dt.date)
    else:  # status
        ok = isinstance(value, str) and value in STATUS_LABELS
        if isinstance(value, str) and not ok:
            raise ReportError(f"{where}: status {value!r} is not one of {sorted(STATUS_LABELS)}")
    if kind in NUMERIC_KINDS and isinstance(value, str) and _DECIMAL_RE.match(value):
        # A number smuggled in as text would render inconsistently and not
        # survive a snapshot; markers must not look like numbers.
        raise ReportError(f"{where}: {value!r} is a number written as text")
    if not ok:
        raise ReportError(f"{where}: {type(value).__name__} is not a {kind} value")


def _check_row(where: str, table: Table, keys: dict[str, Column], row: Any) -> None:
    if not isinstance(row, dict):
        raise ReportError(f"{where}: rows must be dicts, got {type(row).__name__}")
    for key, value in row.items():
        if key.startswith("_"):
            if value is not None and not isinstance(value, (str, int, bool)):
                raise ReportError(f"{where}: metadata {key!r} must be str, int, bool or None")
            continue
        col = keys.get(key)
        if col is None:
            raise ReportError(f"{where}: key {key!r} is not a column of table {table.title!r}")
        _check_cell(f"{where} column {key!r}", col, value)


def _check_table(section: Section, table: Table) -> None:
    where = f"section {section.key!r} table {table.title!r}"
    keys: dict[str, Column] = {}
    for col in table.columns:
        if col.key in keys:
            raise ReportError(f"{where}: column key {col.key!r} is used twice")
        if col.key.startswith("_"):
            raise ReportError(f"{where}: column key {col.key!r} may not start with '_'")
        keys[col.key] = col
    for i, row in enumerate(table.rows):
        _check_row(f"{where} row {i}", table, keys, row)
    if table.total_row is not None:
        _check_row(f"{where} total row", table, keys, table.total_row)
    for i in table.subtotal_row_indexes:
        if not (isinstance(i, int) and 0 <= i < len(table.rows)):
            raise ReportError(f"{where}: subtotal row index {i!r} is out of range")


def _check_chart(section: Section, chart: Chart) -> None:
    where = f"section {section.key!r} chart {chart.title!r}"
    for name, values in chart.series:
        if len(values) != len(chart.categories):
            raise ReportError(
                f"{where}: series {name!r} has {len(values)} values for "
                f"{len(chart.categories)} categories"
            )
        for v in values:
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
                raise ReportError(f"{where}: series {name!r} value {v!r} is not a number")


# --------------------------------------------------------------------------
# to_dict / from_dict
# --------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    # Fixed-point, never "1E+3": exact, and readable by spreadsheets.
    return format(value, "f")


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _decode_cell(kind: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if kind in ("money", "percent") and _DECIMAL_RE.match(value):
        return Decimal(value)
    if kind == "date":
        return dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    return value


def _header_type(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, int):
        return "int"
    return "text"


def _encode_header(label: str, value: Any) -> dict[str, Any]:
    return {"label": label, "value": _encode(value), "type": _header_type(value)}


def _decode_header(item: dict[str, Any]) -> tuple[str, Any]:
    value, kind = item.get("value"), item.get("type", "text")
    if kind == "date":
        value = dt.date.fromisoformat(value)
    elif kind == "datetime":
        value = dt.datetime.fromisoformat(value)
    return (item["label"], value)


def _encode_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _encode(value) for key, value in row.items()}


def _decode_row(columns: list[Column], row: dict[str, Any]) -> dict[str, Any]:
    kinds = {c.key: c.kind for c in columns}
    return {
        key: value if key.startswith("_") else _decode_cell(kinds.get(key, "text"), value)
        for key, value in row.items()
    }


def _section_to_dict(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "title": section.title,
        "paragraphs": list(section.paragraphs),
        "tables": [
            {
                "title": t.title,
                "note": t.note,
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in t.columns],
                "rows": [_encode_row(r) for r in t.rows],
                "total_row": None if t.total_row is None else _encode_row(t.total_row),
                "subtotal_row_indexes": list(t.subtotal_row_indexes),
            }
            for t in section.tables
        ],
        "charts": [
            {
                "title": c.title,
                "kind": c.kind,
                "value_kind": c.value_kind,
                "categories": list(c.categories),
                "series": [
                    {"name": name, "values": [_encode(v) for v in values]}
                    for name, values in c.series
                ],
            }
            for c in section.charts
        ],
    }


def _chart_value(value: Any) -> Any:
    return Decimal(value) if isinstance(value, str) else value


def _section_from_dict(data: dict[str, Any]) -> Section:
    tables = []
    for t in data.get("tables", []):
        columns = [Column(c["key"], c["label"], c.get("kind", "text")) for c in t["columns"]]
        total = t.get("total_row")
        tables.append(
            Table(
                title=t["title"],
                columns=columns,
                rows=[_decode_row(columns, r) for r in t.get("rows", [])],
                total_row=None if total is None else _decode_row(columns, total),
                note=t.get("note"),
                subtotal_row_indexes=list(t.get("subtotal_row_indexes", [])),
            )
        )
    charts = [
        Chart(
            title=c["title"],
            kind=c.get("kind", "bar"),
            value_kind=c.get("value_kind", "int"),
            categories=list(c["categories"]),
            series=[(s["name"], [_chart_value(v) for v in s["values"]]) for s in c["series"]],
        )
        for c in data.get("charts", [])
    ]
    return Section(
        key=data["key"],
        title=data["title"],
        tables=tables,
        charts=charts,
        paragraphs=list(data.get("paragraphs", [])),
    )


# --------------------------------------------------------------------------
# Human display
# --------------------------------------------------------------------------


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
    """Whether a money column shows pence (True if any value has pence)."""
    if col.kind != "money":
        return False
    rows = list(table.rows)
    if table.total_row is not None:
        rows.append(table.total_row)
    return any(has_pence(r.get(col.key)) for r in rows)


def report_for_html(report: Report) -> dict[str, Any]:
    """The report with every cell formatted, for a Jinja template.

    Returns plain dicts; strings are *not* escaped (Jinja's autoescape does
    that). Each cell is ``{"text", "kind", "numeric", "status", "tone"}``.
    """
    report.validate()

    def cells(table: Table, row: dict[str, Any], pences: dict[str, bool], summary: bool) -> list[dict[str, Any]]:
        out = []
        for col in table.columns:
            value = row.get(col.key)
            # Empty cells of subtotal and total rows stay blank, not "—".
            text = "" if summary and value is None else format_cell(value, col.kind, pence=pences[col.key])
            out.append(
                {
                    "text": text,
                    "kind": col.kind,
                    "numeric": col.numeric,
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
                        {"key": c.key, "label": c.label, "kind": c.kind, "numeric": c.numeric}
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
