"""Render any Report as CSV (DESIGN.md §4.8).

One file holds the whole report: a short preamble (title, period, header
fields), then each table as a title line ("Section — Table"), one header
row, its rows and its total row, with a blank line between tables; notes
and warnings last. Values are exact and unformatted (money ``1510000.00``,
percent as the fraction ``0.551``, dates ISO ``2024-06-15``, status codes),
so the file can be re-read by a program. Every text value is neutralised
against formula injection (SECURITY.md §7). UTF-8 with a BOM, so Excel
opens it in the right encoding.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from app.documents.model import Chart, Table
from app.documents.report import Report
from app.documents.safe_cells import neutralise


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return neutralise(str(value))


def _text(value: str) -> str:
    return neutralise(value)


def _write_table(writer: Any, section_title: str, table: Table) -> None:
    writer.writerow([_text(f"{section_title} \u2014 {table.title}")])
    if table.note:
        writer.writerow([_text(table.note)])
    writer.writerow([_text(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(row.get(c.key)) for c in table.columns])
    total = table.labelled_total_row()
    if total is not None:
        writer.writerow([_cell(total.get(c.key)) for c in table.columns])


def _write_chart(writer: Any, section_title: str, chart: Chart) -> None:
    # The data behind a chart, as a table: one row per category.
    writer.writerow([_text(f"{section_title} \u2014 {chart.title}")])
    writer.writerow(["Category"] + [_text(name) for name, _ in chart.series])
    for i, category in enumerate(chart.categories):
        writer.writerow([_text(category)] + [_cell(values[i]) for _, values in chart.series])


def render_csv(report: Report) -> bytes:
    report.validate()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([_text(report.title)])
    if report.subtitle:
        writer.writerow([_text(report.subtitle)])
    if report.classification:
        writer.writerow([_text(report.classification)])
    writer.writerow(["Period", _text(report.period_label)])
    for label, value in report.header:
        writer.writerow([_text(label), _cell(value)])
    writer.writerow(["Generated", report.generated_at.isoformat()])
    if report.suppressed:
        writer.writerow(["Small numbers suppressed", "yes"])
    for section in report.sections:
        if section.paragraphs:
            writer.writerow([])
            writer.writerow([_text(section.title)])
            for paragraph in section.paragraphs:
                writer.writerow([_text(paragraph)])
        for table in section.tables:
            writer.writerow([])
            _write_table(writer, section.title, table)
        for chart in section.charts:
            writer.writerow([])
            _write_chart(writer, section.title, chart)
    for heading, items in (("Notes", report.notes), ("Warnings", report.warnings)):
        if items:
            writer.writerow([])
            writer.writerow([heading])
            for item in items:
                writer.writerow([_text(item)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
