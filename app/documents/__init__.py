"""The document engine: a format-agnostic Report and the renderers that turn any Report into a file.

It knows no domain. A builder anywhere in the app (the quarterly return, finance's grant-spend report, the
evaluator export) fills a :class:`Report` with sections of typed tables and charts; :func:`render` turns it
into PDF, XLSX, CSV or JSON, and :func:`report_for_html` formats it for a Jinja template. See
``app/documents/model.py`` for the kinds a cell may hold.
"""
from __future__ import annotations

from app.documents.formatting import (
    column_pence,
    format_cell,
    format_date,
    format_datetime,
    format_header_value,
    format_money,
    format_percent,
    has_pence,
    report_for_html,
    to_uk_time,
)
from app.documents.model import (
    EMPTY,
    STATUS_LABELS,
    STATUS_TONES,
    SUBTOTAL,
    Chart,
    Column,
    ReportError,
    Section,
    Table,
)
from app.documents.renderers import FORMATS, RENDERERS, render
from app.documents.report import Report

__all__ = [
    "EMPTY", "FORMATS", "RENDERERS", "STATUS_LABELS", "STATUS_TONES", "SUBTOTAL", "Chart", "Column", "Report",
    "ReportError", "Section", "Table", "column_pence", "format_cell", "format_date", "format_datetime",
    "format_header_value", "format_money", "format_percent", "has_pence", "render", "report_for_html", "to_uk_time",
]
