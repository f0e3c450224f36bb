"""Page furniture: the two-pass canvas (running heads, page N of M, marking), bookmarks, title page, callouts, closing notes."""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.documents.formatting import format_datetime, format_header_value
from app.documents.pdf.style import (
    BRAND,
    CLASSIFICATION_INK,
    FONT,
    FONT_BOLD,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_SIZE,
    RULE,
    SERVICE_NAME,
    STYLES,
    WARNING_BG,
    WARNING_RULE,
    fit_text,
    markup,
    plain,
)
from app.documents.report import Report


PUBLIC_MARKING = "PUBLIC VERSION \u2014 small numbers suppressed"
DRAFT_MARKING = "DRAFT"


def document_title(report: Report) -> str:
    """The PDF's Title metadata: what a viewer's window or a search result shows."""
    parts = [plain(report.title)]
    if report.period_label:
        parts.append(plain(report.period_label))
    if report.subtitle:
        parts.append(plain(report.subtitle))
    title = " \u2014 ".join(parts)
    if report.draft:
        title += " (draft)"
    if report.suppressed:
        title += " (public version)"
    return title


def _pdf_date(when) -> str:
    """A PDF date string (D:YYYYMMDDHHmmSS+00'00') for the moment the report was generated, in UTC."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def canvas_maker(report: Report, bookmarks: dict[int, list[tuple[str, str]]]) -> type:
    title = plain(report.title)
    period = plain(report.period_label)
    # A public (suppressed) version is meant for publication: it never carries a protective marking, and
    # says on every page that small numbers are suppressed.
    marking = PUBLIC_MARKING if report.suppressed else (
        plain(report.classification) if report.classification else None)
    draft = report.draft
    created = _pdf_date(report.generated_at)

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []
            # The document's creation date is when the report was generated (not reportlab's fixed date).
            self.setDateFormatter(lambda *_: created)

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self._furniture(total)
                for key, title in bookmarks.get(self._pageNumber, []):
                    self.bookmarkPage(key, fit="XYZ", top=PAGE_SIZE[1])
                    self.addOutlineEntry(title, key, level=0)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            width, height = PAGE_SIZE
            line1, line2 = 10.5 * mm, 7 * mm
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_X, 14.5 * mm, width - MARGIN_X, 14.5 * mm)
            self.setFillColor(MUTED)
            self.setFont(FONT, 8)
            self.drawRightString(width - MARGIN_X, line1, f"Page {self._pageNumber} of {total}")
            room = width - 2 * MARGIN_X - 80
            if marking:
                room = width / 2 - MARGIN_X - stringWidth(marking, FONT_BOLD, 9) / 2 - 16
            self.drawString(MARGIN_X, line1, fit_text(f"{SERVICE_NAME} \u00b7 {title}", FONT, 8, room))
            if period:
                self.drawString(MARGIN_X, line2, fit_text(period, FONT, 8, room))
            if marking:
                self.setFillColor(MUTED if report.suppressed else CLASSIFICATION_INK)
                self.setFont(FONT_BOLD, 9)
                self.drawCentredString(width / 2, line1, marking)
                self.drawCentredString(width / 2, height - 9 * mm, marking)
            if draft:
                self.setFillColor(CLASSIFICATION_INK)
                self.setFont(FONT_BOLD, 11)
                self.drawString(MARGIN_X, height - 9 * mm, DRAFT_MARKING)
                self.drawRightString(width - MARGIN_X, height - 9 * mm, "DRAFT \u2014 not yet submitted")
                # A faint diagonal watermark across the page, behind nothing important (drawn last, light).
                self.setFillColor(CLASSIFICATION_INK, alpha=0.07)
                self.setFont(FONT_BOLD, 110)
                self.translate(width / 2, height / 2)
                self.rotate(30)
                self.drawCentredString(0, -35, DRAFT_MARKING)
            self.restoreState()

    return NumberedCanvas


class Bookmark(Flowable):
    """Zero-size marker: "section starts here" for the PDF outline."""

    def __init__(self, key: str, title: str) -> None:
        super().__init__()
        self.key = key
        self.title = title
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return 0, 0

    def draw(self) -> None:
        pass


class PdfDocument(BaseDocTemplate):
    def __init__(self, buf: io.BytesIO, report: Report) -> None:
        super().__init__(
            buf,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=document_title(report),
            subject=plain(report.period_label),
            author=SERVICE_NAME,
            creator=SERVICE_NAME,
            invariant=1,
        )
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_WIDTH, FRAME_HEIGHT, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self.bookmarks: dict[int, list[tuple[str, str]]] = {}

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's name
        if isinstance(flowable, Bookmark):
            page = self.canv.getPageNumber()
            self.bookmarks.setdefault(page, []).append((flowable.key, plain(flowable.title)))


# --------------------------------------------------------------------------
# Title page
# --------------------------------------------------------------------------


def title_page(report: Report) -> list[Flowable]:
    # The classification, when there is one, is at the top and foot of
    # every page (page furniture), so it is not repeated here.
    story: list[Flowable] = [Spacer(1, 12 * mm), Paragraph(SERVICE_NAME.upper(), STYLES["service"])]
    story.append(Paragraph(markup(report.title), STYLES["title"]))
    if report.subtitle:
        story.append(Paragraph(markup(report.subtitle), STYLES["subtitle"]))
    if report.period_label:
        story.append(Paragraph(markup(report.period_label), STYLES["period"]))
    story.append(Spacer(1, 9 * mm))
    rows = [
        [Paragraph(markup(label), STYLES["label"]), Paragraph(markup(format_header_value(value)), STYLES["value"])]
        for label, value in report.header
    ]
    if rows:
        table = Table(rows, colWidths=[62 * mm, 120 * mm], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                    ("LINEABOVE", (0, 0), (-1, 0), 0.5, RULE),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 6 * mm))
    meta = [f"Generated {format_datetime(report.generated_at)}"]
    if report.draft:
        meta.append("DRAFT: this return has not been submitted. Figures may change.")
    if report.suppressed:
        meta.append("Public version: small numbers are suppressed in this report for publication.")
    for line in meta:
        story.append(Paragraph(markup(line), STYLES["meta"]))
    if report.warnings:
        n = len(report.warnings)
        story.append(Spacer(1, 5 * mm))
        story.append(
            callout(
                f"<b>{n} warning{'s' if n != 1 else ''}</b> \u2014 see \u201cWarnings\u201d at the end of this report.",
                width=182 * mm,
            )
        )
    story.append(PageBreak())
    return story


def callout(html: str, width: float = FRAME_WIDTH) -> Table:
    box = Table([[Paragraph(html, STYLES["warning"])]], colWidths=[width], hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), WARNING_BG),
                ("LINEBEFORE", (0, 0), (0, -1), 4, WARNING_RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box



class HorizontalRule(Flowable):
    """A thin full-width rule under a section heading."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return availWidth, 8

    def draw(self) -> None:
        self.canv.setStrokeColor(BRAND)
        self.canv.setLineWidth(1.5)
        self.canv.line(0, 5, self.width, 5)


def closing_flowables(report: Report) -> list[Flowable]:
    if not report.notes and not report.warnings:
        return []
    story: list[Flowable] = [
        PageBreak(),
        Bookmark("notes-and-warnings", "Notes and warnings"),
        Paragraph("Notes and warnings", STYLES["h1"]),
        HorizontalRule(),
    ]
    if report.warnings:
        story.append(Paragraph("Warnings", STYLES["h2"]))
        for warning in report.warnings:
            story.append(callout(markup(warning)))
            story.append(Spacer(1, 2 * mm))
    if report.notes:
        story.append(CondPageBreak(30 * mm))
        story.append(Paragraph("Notes", STYLES["h2"]))
        for i, note in enumerate(report.notes, start=1):
            story.append(Paragraph(markup(note), STYLES["list"], bulletText=f"{i}."))
    return story


