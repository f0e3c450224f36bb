"""Walk every GET route as a role and read what comes back, whatever its format (HTML, JSON, CSV, XLSX, PDF, zip)."""
from __future__ import annotations

import io
import zipfile

import sqlalchemy as sa

from app.audit import AuditEvent
from app.db import db
from tests.access import fill, page_rules


def get_urls(app, world):
    """Every page's GET route (the API's take tokens, not cookies: tests/api/test_controls.py walks those)."""
    for rule in page_rules(app):
        if "GET" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        values = fill(rule, world)
        if values is None:
            continue
        yield rule, view, rule.build(values)[1]


def text_of(response) -> tuple[str, str]:
    """(format, text) of a response, unpacking spreadsheets, PDFs and zips."""
    ctype = (response.mimetype or "").lower()
    body = response.get_data()
    if "spreadsheetml" in ctype or body[:2] == b"PK" and b"xl/" in body[:2000]:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body), read_only=True)
        cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        return "xlsx", "\n".join(cells)
    if ctype == "application/zip" or body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            return "zip", "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    if ctype == "application/pdf":
        from pypdf import PdfReader

        return "pdf", "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)
    if "json" in ctype:
        return "json", body.decode("utf-8", "replace")
    if "csv" in ctype:
        return "csv", body.decode("utf-8-sig", "replace")
    return "html" if "html" in ctype else ctype or "other", body.decode("utf-8", "replace")


def audit_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()


def new_actions(since: int) -> list[str]:
    return [a for (a,) in db.session.execute(
        sa.select(AuditEvent.action).order_by(AuditEvent.id).offset(since))]


def table_counts() -> dict[str, int]:
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name in ("audit_events", "user_sessions"):
            continue
        counts[table.name] = db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return counts
