"""The parts of a document: columns, tables, charts and sections, with the kinds a cell may hold.

A builder (the quarterly return, a finance report, an export) runs SQL aggregates and returns a
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

import re
from dataclasses import dataclass, field
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

#: A number written as text (snapshots hold Decimals as exact strings).
DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")

# Month names are spelt out here rather than taken from strftime("%b"),

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
            raise ReportError(f"chart {self.title!r}: value_kind {self.value_kind!r} is not one of "
                              f"{sorted(NUMERIC_KINDS)}")


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


