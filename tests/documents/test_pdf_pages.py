"""The PDF as its readers see it (issue 12, item 6): DRAFT on every page of an unsubmitted document, no
protective marking on a public version, numbers aligned with their header, no row alone on a page, short
tables never split, right metadata, one money format per table. Checked by text extraction and geometry."""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.documents import Column, Report, Section, Table
from app.documents.pdf import render_pdf
from app.documents.formatting import report_for_html


def _report(tables, **kw) -> Report:
    return Report(title="Quarterly return", subtitle="Test VRU", period_label="2024-25 Q3",
                  sections=[Section("D", "D. Delivery", tables=tables)], classification="OFFICIAL-SENSITIVE",
                  generated_at=dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC), **kw)


def _rows_table(n, title="T1. Rows", prefix="Row"):
    t = Table(title, [Column("name", "Name"), Column("n", "Count", "int")])
    t.rows = [{"name": f"{prefix} {i:03d}", "n": i} for i in range(n)]
    return t


def _pages(report) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report))).pages]


def test_an_unsubmitted_document_says_draft_on_every_page():
    pages = _pages(_report([_rows_table(120)], draft=True))
    assert len(pages) >= 3 and all("DRAFT" in p for p in pages)
    assert not any("DRAFT" in p for p in _pages(_report([_rows_table(120)])))


def test_a_public_version_has_no_protective_marking_and_says_it_is_suppressed():
    public = _report([_rows_table(120)], suppressed=True)
    public.classification = None
    pages = _pages(public)
    assert not any("OFFICIAL" in p for p in pages)
    assert all("PUBLIC VERSION" in p and "suppressed" in p for p in pages)
    # A public version that still carries a classification never prints it either.
    assert not any("OFFICIAL" in p for p in _pages(_report([_rows_table(5)], suppressed=True)))


def test_metadata_title_and_creation_date_are_the_reports():
    reader = PdfReader(io.BytesIO(render_pdf(_report([_rows_table(3)], draft=True))))
    meta = reader.metadata
    assert meta.title == "Quarterly return \u2014 2024-25 Q3 \u2014 Test VRU (draft)"
    assert meta.creation_date.replace(tzinfo=None) == dt.datetime(2026, 11, 28, 9, 30)


def test_numbers_in_a_text_column_align_with_their_right_aligned_header():
    t = Table("F2. Measures", [Column("programme", "Programme"), Column("people", "People measured", "int"),
                               Column("baseline", "Mean at baseline"), Column("latest", "Mean at latest")])
    t.rows = [{"programme": "Custody Coaches", "people": 9, "baseline": "8.4", "latest": "4.9"}]
    positions = {}

    def visit(text, cm, tm, *_):
        if text.strip():
            positions.setdefault(text.strip(), tm[4] * cm[0] + cm[4])

    PdfReader(io.BytesIO(render_pdf(_report([t])))).pages[1].extract_text(visitor_text=visit)
    header = next(x for k, x in positions.items() if k.startswith("Mean at baseline"))
    assert positions["8.4"] > header + 20  # right-aligned under its header, not hard against the count
    html = report_for_html(_report([t]))
    table = html["sections"][0]["tables"][0]
    assert [c["numeric"] for c in table["columns"]] == [False, True, True, True]


@pytest.mark.parametrize("before, rows", [(b, n) for b in range(12, 24) for n in (6, 12, 40)])
def test_a_table_never_leaves_its_last_row_or_its_first_row_alone_on_a_page(before, rows):
    report = _report([_rows_table(before, "T1. Filler", "Fill"), _rows_table(rows, "T2. Rows", "Row")])
    for i, page in enumerate(_pages(report)):
        rows = len(re.findall(r"Row \d{3}", page))
        assert rows == 0 or rows >= 2, (before, i, rows)


@pytest.mark.parametrize("before", range(14, 24))
def test_a_short_table_is_never_split_across_pages(before):
    report = _report([_rows_table(before, "T1. Filler", "Fill"), _rows_table(6, "T2. Short", "Short")])
    counts = [len(re.findall(r"Short \d{3}", p)) for p in _pages(report)]
    assert sorted(counts)[-1] == 6, counts


def test_money_in_one_table_uses_one_format():
    t = Table("C1. Match", [Column("who", "Contributor"), Column("cash", "Cash", "money"),
                            Column("kind", "In kind", "money")])
    t.rows = [{"who": "Council", "cash": Decimal("9000"), "kind": Decimal("15041.10")}]
    text = "\n".join(_pages(_report([t])))
    assert "£9,000.00" in text and "£15,041.10" in text
