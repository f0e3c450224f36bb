"""JSON-safe form of a document (snapshots of locked returns, the JSON renderer): exact and reversible."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.documents.model import DECIMAL_TEXT, Chart, Column, Section, Table


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
    if kind in ("money", "percent") and DECIMAL_TEXT.match(value):
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


def encode_header(label: str, value: Any) -> dict[str, Any]:
    return {"label": label, "value": _encode(value), "type": _header_type(value)}


def decode_header(item: dict[str, Any]) -> tuple[str, Any]:
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


def section_to_dict(section: Section) -> dict[str, Any]:
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


def section_from_dict(data: dict[str, Any]) -> Section:
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


