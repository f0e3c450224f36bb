"""Render any Report as an Excel workbook (DESIGN.md §4.8).

A cover sheet (title, period, header fields, contents, notes, warnings) and
one sheet per section (plus one for the section's charts, if any: the data
and a native Excel bar chart). Numbers are numbers: ints ("#,##0"), money
(Decimal pounds, "£#,##0.00", or "£#,##0" for a column with no pence
anywhere, as in the PDF), percentages (the fraction, "0.0%") and dates are
typed cells, so totals can be checked in Excel. Totals are written as
values. A sheet with one table freezes that table's header row.

No cell is ever a formula (SECURITY.md §7): every text value goes through
:func:`app.documents.safe_cells.neutralise` and is written with its data type
forced to string, so openpyxl cannot read "=…" as a formula either.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from app.documents.formatting import column_pence, format_cell, format_datetime, format_header_value, to_uk_time
from app.documents.model import STATUS_LABELS, STATUS_TONES, Chart, Column, Section, Table
from app.documents.report import Report
from app.documents.safe_cells import neutralise

MAX_SHEET_NAME = 31
MAX_CELL_TEXT = 32_767
_FORBIDDEN_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_NAMES = {"history"}

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=16)
_SECTION = Font(bold=True, size=14)
_TABLE_TITLE = Font(bold=True, size=12)
_MUTED = Font(italic=True, color="505A5F")
_CLASSIFICATION = Font(bold=True, color="D4351C", size=12)
_WARNING = Font(color="8A3B00")
_LINK = Font(color="1D70B8", underline="single")
_HEADER_FILL = PatternFill("solid", fgColor="DEE0E2")
_SUBTOTAL_FILL = PatternFill("solid", fgColor="F3F2F1")
_TOTAL_FILL = PatternFill("solid", fgColor="E8EEF5")
_TONE_FILLS = {
    "good": PatternFill("solid", fgColor="CCE2D8"),
    "warn": PatternFill("solid", fgColor="FFF2CC"),
    "bad": PatternFill("solid", fgColor="F6D7D2"),
}
_THIN = Side(style="thin", color="505A5F")
_MEDIUM = Side(style="medium", color="0B0C0C")
_HEADER_BORDER = Border(bottom=_THIN)
_TOTAL_BORDER = Border(top=_MEDIUM)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_RIGHT = Alignment(horizontal="right", vertical="top")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="bottom")
_HEADER_ALIGN_RIGHT = Alignment(wrap_text=True, vertical="bottom", horizontal="right")

_MIN_WIDTH = 8
_MAX_WIDTH = 50
_PARAGRAPH_COLUMNS = 10
_CHART_COLOURS = ("1D70B8", "505A5F", "F47738", "00703C", "4C2C92", "D4351C")


# --------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 1] + "\u2026"
    # Neutralise first (a leading CR is a trigger), then write line breaks
    # as LF: XML readers turn a raw CR into LF anyway, so say so up front.
    return neutralise(text).replace("\r\n", "\n").replace("\r", "\n")


def _put_text(ws: Worksheet, row: int, col: int, value: str, font: Font | None = None) -> Any:
    cell = ws.cell(row=row, column=col)
    cell.value = _clean_text(value)
    cell.data_type = "s"  # never a formula, whatever the text says
    if font is not None:
        cell.font = font
    return cell


def _money_format(pence: bool) -> str:
    return '"£"#,##0.00' if pence else '"£"#,##0'


def _put_value(ws: Worksheet, row: int, col_index: int, column: Column, value: Any, pence: bool) -> Any:
    """Write one table cell with the right type and number format."""
    if value is None:
        return ws.cell(row=row, column=col_index)
    kind = column.kind
    if kind == "status":
        cell = _put_text(ws, row, col_index, STATUS_LABELS.get(value, str(value)))
        fill = _TONE_FILLS.get(STATUS_TONES.get(value, ""))
        if fill is not None:
            cell.fill = fill
        return cell
    if isinstance(value, str):
        cell = _put_text(ws, row, col_index, value)
        cell.alignment = _RIGHT if column.numeric else _WRAP_TOP
        return cell
    cell = ws.cell(row=row, column=col_index)
    if isinstance(value, dt.datetime):
        cell.value = to_uk_time(value).replace(tzinfo=None)
        cell.number_format = "d mmm yyyy hh:mm"
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "d mmm yyyy"
    elif kind == "money":
        cell.value = value
        cell.number_format = _money_format(pence)
    elif kind == "percent":
        cell.value = value
        cell.number_format = "0.0%"
    elif kind == "int":
        cell.value = value
        cell.number_format = "#,##0"
    else:  # a whole number in a text column (a tier, a year): no separators
        cell.value = value
        cell.alignment = Alignment(horizontal="left", vertical="top")
        return cell
    cell.alignment = _RIGHT
    return cell


# --------------------------------------------------------------------------
# Sheet names
# --------------------------------------------------------------------------


def sheet_name(title: str, used: set[str]) -> str:
    """A legal, unique (case-insensitively) Excel sheet name for ``title``."""
    name = _FORBIDDEN_IN_SHEET_NAME.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", title))
    name = re.sub(r"\s+", " ", name).strip().strip("'").strip()
    name = name[:MAX_SHEET_NAME].rstrip().rstrip("'").rstrip() or "Sheet"
    candidate, n = name, 1
    while candidate.lower() in used or candidate.lower() in _RESERVED_SHEET_NAMES:
        n += 1
        suffix = f" ({n})"
        candidate = name[: MAX_SHEET_NAME - len(suffix)].rstrip().rstrip("'") + suffix
    used.add(candidate.lower())
    return candidate


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


class _Widths:
    """Tracks the widest thing shown in each column of a sheet."""

    def __init__(self) -> None:
        self.widths: dict[int, float] = {}

    def see(self, col: int, text: str, *, header: bool = False) -> None:
        if header:
            # Headers wrap: allow for the longest word, up to ~3 lines.
            longest_word = max((len(w) for w in text.split()), default=0)
            width = max(longest_word + 2, min(len(text), 45) / 3 + 2)
        else:
            longest_line = max((len(line) for line in text.splitlines()), default=0)
            width = longest_line * 1.1 + 2
        self.widths[col] = max(self.widths.get(col, _MIN_WIDTH), width)

    def apply(self, ws: Worksheet) -> None:
        for col, width in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = min(max(width, _MIN_WIDTH), _MAX_WIDTH)


def _write_paragraph(ws: Worksheet, row: int, text: str, font: Font | None = None) -> int:
    cell = _put_text(ws, row, 1, text, font)
    cell.alignment = _WRAP_TOP
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=_PARAGRAPH_COLUMNS)
    lines = sum(max(1, math.ceil(len(line) / 110)) for line in text.splitlines() or [""])
    ws.row_dimensions[row].height = 15 * lines + 2
    return row + 1


def _write_table(ws: Worksheet, row: int, table: Table, widths: _Widths) -> tuple[int, int]:
    """Write ``table`` from ``row``; return (next free row, header row)."""
    _put_text(ws, row, 1, table.title, _TABLE_TITLE)
    row += 1
    if table.note:
        row = _write_paragraph(ws, row, table.note, _MUTED)
    header_row = row
    for c, col in enumerate(table.columns, start=1):
        cell = _put_text(ws, row, c, col.label, _BOLD)
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        cell.alignment = _HEADER_ALIGN_RIGHT if col.numeric else _HEADER_ALIGN
        widths.see(c, col.label, header=True)
    row += 1
    pences = {col.key: column_pence(table, col) for col in table.columns}

    def write_row(values: dict[str, Any], font: Font | None, fill: PatternFill | None, border: Border | None) -> None:
        for c, col in enumerate(table.columns, start=1):
            value = values.get(col.key)
            cell = _put_value(ws, row, c, col, value, pences[col.key])
            if font is not None:
                cell.font = font
            if fill is not None and not (col.kind == "status" and value is not None):
                cell.fill = fill
            if border is not None:
                cell.border = border
            widths.see(c, format_cell(value, col.kind, pence=pences[col.key]))

    for i, values in enumerate(table.rows):
        subtotal = table.is_subtotal(i)
        write_row(values, _BOLD if subtotal else None, _SUBTOTAL_FILL if subtotal else None, None)
        row += 1
    total = table.labelled_total_row()
    if total is not None:
        write_row(total, _BOLD, _TOTAL_FILL, _TOTAL_BORDER)
        row += 1
    if not table.rows and total is None:
        _put_text(ws, row, 1, "No rows.", _MUTED)
        row += 1
    return row + 1, header_row


def _write_chart(ws: Worksheet, row: int, chart: Chart, widths: _Widths) -> int:
    """The chart's data as a small table, with a native Excel bar chart
    beside it (chart series refer to cells; no cell holds a formula)."""
    _put_text(ws, row, 1, chart.title, _TABLE_TITLE)
    row += 1
    header_row = row
    cell = _put_text(ws, row, 1, "Category", _BOLD)
    cell.fill = _HEADER_FILL
    widths.see(1, "Category", header=True)
    number_format = {"int": "#,##0", "money": '"£"#,##0.00', "percent": "0.0%"}[chart.value_kind]
    for s, (name, _) in enumerate(chart.series, start=2):
        cell = _put_text(ws, row, s, name, _BOLD)
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGN_RIGHT
        widths.see(s, name, header=True)
    row += 1
    for i, category in enumerate(chart.categories):
        _put_text(ws, row, 1, category)
        widths.see(1, category)
        for s, (_, values) in enumerate(chart.series, start=2):
            value = values[i]
            if value is not None:
                cell = ws.cell(row=row, column=s, value=value)
                cell.number_format = number_format
                widths.see(s, format_cell(value, chart.value_kind))
        row += 1
    if chart.categories and chart.series:
        bar = BarChart()
        bar.type = "bar" if chart.kind in ("bar", "hbar") else "col"
        bar.title = _clean_text(chart.title)
        bar.style = 10
        bar.y_axis.numFmt = number_format
        bar.y_axis.majorGridlines = None
        bar.x_axis.scaling.orientation = "maxMin" if bar.type == "bar" else "minMax"
        bar.x_axis.delete = False
        bar.y_axis.delete = False
        data = Reference(ws, min_col=2, max_col=1 + len(chart.series), min_row=header_row, max_row=row - 1)
        cats = Reference(ws, min_col=1, min_row=header_row + 1, max_row=row - 1)
        bar.add_data(data, titles_from_data=True)
        bar.set_categories(cats)
        for s, series in enumerate(bar.series):
            colour = _CHART_COLOURS[s % len(_CHART_COLOURS)]
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.solidFill = colour
        bar.width = 24
        bar.height = max(7.5, 0.55 * len(chart.categories) * max(1, len(chart.series)) + 3)
        ws.add_chart(bar, f"{get_column_letter(len(chart.series) + 3)}{header_row - 1}")
        # Leave room below the chart if it is taller than its data.
        rows_covered = math.ceil(bar.height / 0.53)
        row = max(row, header_row - 1 + rows_covered)
    return row + 1


def _print_setup(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _new_sheet(wb: Workbook, report: Report, title: str, used: set[str]) -> Worksheet:
    ws = wb.create_sheet(title=sheet_name(title, used))
    _print_setup(ws)
    _put_text(ws, 1, 1, title, _SECTION)
    _put_text(ws, 2, 1, " \u2014 ".join(p for p in (report.title, report.period_label) if p), _MUTED)
    return ws


def _write_section(wb: Workbook, report: Report, section: Section, used: set[str]) -> list[tuple[str, str]]:
    """One sheet for the section's paragraphs and tables, and one more for
    its charts (so a frozen header never sits over chart data)."""
    title = section.title or section.key
    ws = _new_sheet(wb, report, title, used)
    sheets = [(ws.title, title)]
    widths = _Widths()
    row = 4
    for paragraph in section.paragraphs:
        row = _write_paragraph(ws, row, paragraph)
    if section.paragraphs:
        row += 1
    header_rows = []
    for table in section.tables:
        row, header_row = _write_table(ws, row, table, widths)
        header_rows.append(header_row)
    widths.apply(ws)
    if len(header_rows) == 1:
        # One table: keep its header in view and on every printed page.
        # (With several tables a frozen header would label the wrong columns.)
        ws.freeze_panes = ws.cell(row=header_rows[0] + 1, column=1)
        ws.print_title_rows = f"{header_rows[0]}:{header_rows[0]}"
    if section.charts:
        chart_title = f"{title} (charts)"
        cs = _new_sheet(wb, report, chart_title, used)
        sheets.append((cs.title, chart_title))
        chart_widths = _Widths()
        row = 4
        for chart in section.charts:
            row = _write_chart(cs, row, chart, chart_widths)
        chart_widths.apply(cs)
    return sheets


def _write_cover(ws: Worksheet, report: Report, sheet_names: list[tuple[str, str]]) -> None:
    _print_setup(ws)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 60
    row = 1
    _put_text(ws, row, 1, "Waypoint", _MUTED)
    row += 1
    if report.classification:
        _put_text(ws, row, 1, report.classification, _CLASSIFICATION)
        row += 1
    _put_text(ws, row, 1, report.title, _TITLE)
    ws.row_dimensions[row].height = 24
    row += 1
    if report.subtitle:
        _put_text(ws, row, 1, report.subtitle, Font(size=12))
        row += 1
    if report.period_label:
        _put_text(ws, row, 1, report.period_label, Font(size=12))
        row += 1
    row += 1
    for label, value in report.header:
        _put_text(ws, row, 1, label, _BOLD)
        if isinstance(value, dt.datetime):
            _put_text(ws, row, 2, format_header_value(value))
        elif isinstance(value, dt.date):
            cell = ws.cell(row=row, column=2, value=value)
            cell.number_format = "d mmm yyyy"
            cell.alignment = Alignment(horizontal="left")
        elif isinstance(value, int):
            cell = ws.cell(row=row, column=2, value=value)
            cell.alignment = Alignment(horizontal="left")
        elif value is not None:
            _put_text(ws, row, 2, str(value))
        row += 1
    _put_text(ws, row, 1, "Generated", _BOLD)
    _put_text(ws, row, 2, format_datetime(report.generated_at))
    row += 1
    if report.suppressed:
        _put_text(ws, row, 1, "Small numbers", _BOLD)
        _put_text(ws, row, 2, "Suppressed for publication")
        row += 1
    if sheet_names:
        row += 1
        _put_text(ws, row, 1, "Contents", _TABLE_TITLE)
        row += 1
        for name, title in sheet_names:
            cell = _put_text(ws, row, 1, name, _LINK)
            # An in-workbook link (a location, never a URL).
            quoted = name.replace("'", "''")
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!A1", display=name)
            if title != name:  # the sheet name was shortened
                _put_text(ws, row, 2, title)
            row += 1
    for heading, items, font in (("Notes", report.notes, None), ("Warnings", report.warnings, _WARNING)):
        if not items:
            continue
        row += 1
        _put_text(ws, row, 1, heading, _TABLE_TITLE)
        row += 1
        for item in items:
            cell = _put_text(ws, row, 1, item, font)
            cell.alignment = _WRAP_TOP
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
            ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(item) / 95)) + 2
            row += 1


def render_xlsx(report: Report) -> bytes:
    report.validate()
    wb = Workbook()
    cover = wb.active
    used: set[str] = set()
    cover.title = sheet_name("Cover", used)
    names = [entry for s in report.sections for entry in _write_section(wb, report, s, used)]
    _write_cover(cover, report, names)
    wb.properties.title = _clean_text(report.title)
    wb.properties.subject = _clean_text(report.period_label)
    wb.properties.creator = "Waypoint"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["render_xlsx", "sheet_name"]
