"""Sections in order, then the closing notes: the whole PDF."""
from __future__ import annotations

import io

from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
)

from app.documents.model import Section
from app.documents.pdf.charts import chart_flowables
from app.documents.pdf.furniture import (
    Bookmark,
    HorizontalRule,
    PdfDocument,
    canvas_maker,
    closing_flowables,
    title_page,
)
from app.documents.pdf.style import STYLES, markup
from app.documents.pdf.tables import table_flowables
from app.documents.report import Report

# --------------------------------------------------------------------------
# Sections, notes, warnings
# --------------------------------------------------------------------------


def _section_flowables(section: Section) -> list[Flowable]:
    story: list[Flowable] = [
        Bookmark(f"section-{section.key}", section.title),
        Paragraph(markup(section.title), STYLES["h1"]),
        HorizontalRule(),
    ]
    for paragraph in section.paragraphs:
        story.append(Paragraph(markup(paragraph), STYLES["body"]))
    for table in section.tables:
        story.extend(table_flowables(table))
    for chart in section.charts:
        story.extend(chart_flowables(chart))
    return story



def render_pdf(report: Report) -> bytes:
    report.validate()
    buf = io.BytesIO()
    doc = PdfDocument(buf, report)
    story = title_page(report)
    for i, section in enumerate(report.sections):
        if i:
            story.append(PageBreak())
        story.extend(_section_flowables(section))
    story.extend(closing_flowables(report))
    doc.build(story, canvasmaker=canvas_maker(report, doc.bookmarks))
    return buf.getvalue()

