"""The model's rules, checked before a document is rendered or snapshotted: a builder bug fails loudly."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.documents.model import (
    DECIMAL_TEXT,
    NUMERIC_KINDS,
    STATUS_LABELS,
    Chart,
    Column,
    ReportError,
    Section,
    Table,
)


def check_header_value(label: str, value: Any) -> None:
    if value is None or isinstance(value, (str, dt.date)):
        return
    if isinstance(value, int) and not isinstance(value, bool):
        return
    raise ReportError(
        f"header {label!r}: {type(value).__name__} values are not allowed; "
        "use str, int, date, datetime or None (format money as text)"
    )


def check_cell(where: str, col: Column, value: Any) -> None:
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
    if kind in NUMERIC_KINDS and isinstance(value, str) and DECIMAL_TEXT.match(value):
        # A number smuggled in as text would render inconsistently and not
        # survive a snapshot; markers must not look like numbers.
        raise ReportError(f"{where}: {value!r} is a number written as text")
    if not ok:
        raise ReportError(f"{where}: {type(value).__name__} is not a {kind} value")


def _plainly_valid(kind: str, value: Any) -> bool:
    """The common cells, accepted without the full check (which also words its message): None, a whole number in
    a text or numeric column, text in a text column, a finite Decimal for money or a percentage."""
    t = type(value)
    if t is int:
        return kind in ("text", "int", "money", "percent")
    if t is str:
        return kind == "text"
    return t is Decimal and kind in ("money", "percent") and value.is_finite()


def check_row(where: str, table: Table, keys: dict[str, Column], row: Any) -> None:
    if not isinstance(row, dict):
        raise ReportError(f"{where}: rows must be dicts, got {type(row).__name__}")
    for key, value in row.items():
        col = keys.get(key)  # column keys never start with "_" (check_table), so metadata is never found here
        if col is not None:
            if value is not None and not _plainly_valid(col.kind, value):
                check_cell(f"{where} column {key!r}", col, value)
        elif key.startswith("_"):
            if value is not None and not isinstance(value, (str, int, bool)):
                raise ReportError(f"{where}: metadata {key!r} must be str, int, bool or None")
        else:
            raise ReportError(f"{where}: key {key!r} is not a column of table {table.title!r}")


def check_table(section: Section, table: Table) -> None:
    where = f"section {section.key!r} table {table.title!r}"
    keys: dict[str, Column] = {}
    for col in table.columns:
        if col.key in keys:
            raise ReportError(f"{where}: column key {col.key!r} is used twice")
        if col.key.startswith("_"):
            raise ReportError(f"{where}: column key {col.key!r} may not start with '_'")
        keys[col.key] = col
    for i, row in enumerate(table.rows):
        check_row(f"{where} row {i}", table, keys, row)
    if table.total_row is not None:
        check_row(f"{where} total row", table, keys, table.total_row)
    for i in table.subtotal_row_indexes:
        if not (isinstance(i, int) and 0 <= i < len(table.rows)):
            raise ReportError(f"{where}: subtotal row index {i!r} is out of range")


def check_chart(section: Section, chart: Chart) -> None:
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

