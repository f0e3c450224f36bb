"""Render any Report as a PDF with reportlab platypus (DESIGN.md §4.8).

A4 landscape. A title page (service name, title, subtitle, period, header
fields, generation time), then each section on a new page: heading,
paragraphs, tables and charts. Tables repeat their header row when they
break across pages, shade alternate rows, right-align numbers, embolden
subtotal and total rows, wrap long text and fit their columns to the page
(shrinking the type a little for wide tables). Charts are vector bar charts
with a legend. Every page carries the report title and period and "Page N of
M" (a two-pass canvas), and the classification marking at top and bottom
when the report has one. Notes and warnings close the report. The PDF has a
bookmark per section.

Only the built-in Helvetica fonts are used and nothing is ever fetched:
there are no images and no links, and every string from the report is
escaped before it reaches a Paragraph, so a name like "O'Neil & Sons <x>"
prints as written. Helvetica covers Windows-1252 (£, €, —, curly quotes,
most Western European letters); other characters are transliterated
("Łukasz" → "Lukasz") rather than printed as empty boxes.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from app.reports.report import (
    STATUS_TONES,
    Chart,
    Report,
    Section,
    column_pence,
    format_cell,
    format_datetime,
    format_header_value,
)
from app.reports.report import (
    Table as ReportTable,
)

SERVICE_NAME = "Waypoint"

PAGE_SIZE = landscape(A4)
MARGIN_X = 15 * mm
MARGIN_TOP = 17 * mm
MARGIN_BOTTOM = 17 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN_X
FRAME_HEIGHT = PAGE_SIZE[1] - MARGIN_TOP - MARGIN_BOTTOM

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_ITALIC = "Helvetica-Oblique"

INK = colors.HexColor("#0B0C0C")
MUTED = colors.HexColor("#505A5F")
RULE = colors.HexColor("#B1B4B6")
BRAND = colors.HexColor("#1D70B8")
HEADER_BG = colors.HexColor("#DEE0E2")
ZEBRA = colors.HexColor("#F3F4F5")
SUBTOTAL_BG = colors.HexColor("#E8EEF5")
TOTAL_BG = colors.HexColor("#D2DCE8")
WARNING_BG = colors.HexColor("#FFF7E0")
WARNING_RULE = colors.HexColor("#F47738")
CLASSIFICATION_INK = colors.HexColor("#D4351C")
TONE_BG = {
    "good": colors.HexColor("#CCE2D8"),
    "warn": colors.HexColor("#FFE9B3"),
    "bad": colors.HexColor("#F6D7D2"),
}
TONE_INK = {
    "good": colors.HexColor("#005A30"),
    "warn": colors.HexColor("#594D00"),
    "bad": colors.HexColor("#942514"),
}
SERIES_COLOURS = [
    colors.HexColor(c) for c in ("#1D70B8", "#B1B4B6", "#F47738", "#00703C", "#4C2C92", "#D4351C")
]

CELL_PAD_X = 3
CELL_PAD_Y = 2
TABLE_FONT_SIZES = (8.5, 8, 7.5, 7, 6.5, 6)
TEXT_COLUMN_MIN = 60.0
TEXT_COLUMN_MAX = 260.0
TEXT_COLUMN_COMFORT = 120.0  # wide enough for "Programme 01 - Hospital site 1"
TABLE_COMFORT_MIN_SIZE = 6.5
NUMERIC_HEADER_MAX = 80.0

# --------------------------------------------------------------------------
# Text safety
# --------------------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FALLBACK = {
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i",
    "ŀ": "l", "Ŀ": "L", "ŧ": "t", "Ŧ": "T", "ĸ": "k", "ŉ": "n",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-", "\u2032": "'",
    "\u2033": '"', "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}


@lru_cache(maxsize=4096)
def _winansi_char(ch: str) -> str:
    try:
        ch.encode("cp1252")
        return ch
    except UnicodeEncodeError:
        pass
    if ch in _FALLBACK:
        return _FALLBACK[ch]
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    try:
        base.encode("cp1252")
        return base or "?"
    except UnicodeEncodeError:
        return "?"


def plain(text: Any) -> str:
    """Text the built-in fonts can draw: no control characters, every
    character in Windows-1252 (others transliterated)."""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    s = _CONTROL_RE.sub("", s)
    if s.isascii():
        return s
    return "".join(_winansi_char(ch) for ch in s)


def markup(text: Any) -> str:
    """``text`` made safe for a Paragraph: escaped, line breaks kept."""
    return escape(plain(text)).replace("\n", "<br/>")


# --------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base = {"fontName": FONT, "fontSize": 9.5, "leading": 13, "textColor": INK}
    base.update(kw)
    return ParagraphStyle(name, **base)


STYLES = {
    "service": _style("service", fontName=FONT_BOLD, fontSize=12, leading=15, textColor=BRAND),
    "title": _style("title", fontName=FONT_BOLD, fontSize=28, leading=33, spaceBefore=6, spaceAfter=8),
    "subtitle": _style("subtitle", fontSize=15, leading=20, textColor=INK),
    "period": _style("period", fontSize=15, leading=20, textColor=MUTED),
    "meta": _style("meta", fontSize=9, leading=12, textColor=MUTED),
    "label": _style("label", fontName=FONT_BOLD, fontSize=10, leading=13),
    "value": _style("value", fontSize=10, leading=13),
    "h1": _style("h1", fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=4, keepWithNext=1),
    "h2": _style("h2", fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=5,
                 keepWithNext=1),
    "h2_table": _style("h2_table", fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=5),
    "body": _style("body", rightIndent=180, spaceAfter=6),
    "note": _style("note", fontName=FONT_ITALIC, fontSize=8, leading=10.5, textColor=MUTED, spaceBefore=3),
    "list": _style("list", leftIndent=14, bulletIndent=2, rightIndent=120, spaceAfter=4),
    "warning": _style("warning", fontSize=9.5, leading=13),
}


# --------------------------------------------------------------------------
# Page furniture: "Page N of M" needs the page count, so pages are kept
# until the end and the furniture is drawn on each as it is written out.
# --------------------------------------------------------------------------


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    ellipsis = "\u2026"
    while text and stringWidth(text + ellipsis, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ellipsis


def _canvas_maker(report: Report, bookmarks: dict[int, list[tuple[str, str]]]) -> type:
    title = plain(report.title)
    period = plain(report.period_label)
    marking = plain(report.classification) if report.classification else None

    class NumberedCanvas(pdfcanvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict[str, Any]] = []

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
            self.drawString(MARGIN_X, line1, _fit(f"{SERVICE_NAME} \u00b7 {title}", FONT, 8, room))
            if period:
                self.drawString(MARGIN_X, line2, _fit(period, FONT, 8, room))
            if marking:
                self.setFillColor(CLASSIFICATION_INK)
                self.setFont(FONT_BOLD, 9)
                self.drawCentredString(width / 2, line1, marking)
                self.drawCentredString(width / 2, height - 9 * mm, marking)
            self.restoreState()

    return NumberedCanvas


class _Bookmark(Flowable):
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


class _Doc(BaseDocTemplate):
    def __init__(self, buf: io.BytesIO, report: Report) -> None:
        super().__init__(
            buf,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=plain(report.title),
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
        if isinstance(flowable, _Bookmark):
            page = self.canv.getPageNumber()
            self.bookmarks.setdefault(page, []).append((flowable.key, plain(flowable.title)))


# --------------------------------------------------------------------------
# Title page
# --------------------------------------------------------------------------


def _title_page(report: Report) -> list[Flowable]:
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
    if report.suppressed:
        meta.append("Small numbers are suppressed in this report for publication.")
    for line in meta:
        story.append(Paragraph(markup(line), STYLES["meta"]))
    if report.warnings:
        n = len(report.warnings)
        story.append(Spacer(1, 5 * mm))
        story.append(
            _callout(
                f"<b>{n} warning{'s' if n != 1 else ''}</b> \u2014 see \u201cWarnings\u201d at the end of this report.",
                width=182 * mm,
            )
        )
    story.append(PageBreak())
    return story


def _callout(html: str, width: float = FRAME_WIDTH) -> Table:
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


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _words_width(text: str, font: str, size: float) -> float:
    return max((stringWidth(w, font, size) for w in text.split()), default=0.0)


def _lines_width(text: str, font: str, size: float) -> float:
    return max((stringWidth(line, font, size) for line in text.split("\n")), default=0.0)


class _Layout:
    """Font size and column widths that fit a table on the page.

    The largest type size is chosen at which text columns get a comfortable
    width (so names do not wrap word by word); failing that, the largest at
    which every column gets its minimum (numbers on one line, headers broken
    only between words); failing that, the smallest size, squeezed.
    """

    def __init__(self, table: ReportTable, cells: list[list[str]], bold_rows: set[int], width: float) -> None:
        options = [self._measure(table, cells, bold_rows, size) for size in TABLE_FONT_SIZES]
        chosen = next(
            (o for o in options if o[0] >= TABLE_COMFORT_MIN_SIZE and sum(o[3]) <= width),
            next((o for o in options if sum(o[1]) <= width), options[-1]),
        )
        size, mins, wants, _ = chosen
        self.font_size = size
        total_min = sum(mins)
        if total_min > width:
            # Still too wide at the smallest type: scale everything down and
            # let text wrap harder; numbers stay on one line as far as possible.
            ratio = width / total_min
            self.widths = [w * ratio for w in mins]
            return
        # Spare width goes first to text columns (so names wrap less), then
        # to numeric columns (so their headers wrap less).
        widths = list(mins)
        extra = width - total_min
        for is_text in (True, False):
            idx = [i for i, col in enumerate(table.columns) if (col.kind == "text") == is_text]
            growth = {i: wants[i] - mins[i] for i in idx}
            need = sum(growth.values())
            if need <= 0:
                continue
            share = min(1.0, extra / need)
            for i in idx:
                widths[i] += growth[i] * share
            extra -= need * share
        self.widths = widths

    @staticmethod
    def _measure(
        table: ReportTable, cells: list[list[str]], bold_rows: set[int], size: float
    ) -> tuple[float, list[float], list[float], list[float]]:
        """(size, minimum, wanted and comfortable width of each column)."""
        pad = 2 * CELL_PAD_X + 1
        mins, wants, comfy = [], [], []
        for c, col in enumerate(table.columns):
            label = plain(col.label)
            header_min = _words_width(label, FONT_BOLD, size) + pad
            header_full = stringWidth(label, FONT_BOLD, size) + pad
            fonts = [(row[c], FONT_BOLD if r in bold_rows else FONT) for r, row in enumerate(cells)]
            content = max((_lines_width(t, f, size) + pad for t, f in fonts), default=0.0)
            if col.kind == "text":
                longest_word = max((_words_width(t, f, size) + pad for t, f in fonts), default=0.0)
                lo = max(header_min, min(content, TEXT_COLUMN_MIN), min(longest_word, 110.0))
                hi = max(lo, min(max(content, header_full), TEXT_COLUMN_MAX))
                ok = max(lo, min(hi, TEXT_COLUMN_COMFORT))
            else:
                lo = max(header_min, content)
                hi = max(lo, min(header_full, NUMERIC_HEADER_MAX))
                ok = lo
            mins.append(lo)
            wants.append(hi)
            comfy.append(ok)
        return size, mins, wants, comfy


def _table_flowables(table: ReportTable) -> list[Flowable]:
    columns = table.columns
    pences = {c.key: column_pence(table, c) for c in columns}
    total = table.labelled_total_row()
    body = list(table.rows) + ([total] if total is not None else [])
    subtotal_rows = {i for i in range(len(table.rows)) if table.is_subtotal(i)}
    bold_rows = set(subtotal_rows)
    if total is not None:
        bold_rows.add(len(body) - 1)
    texts = [
        [
            "" if r in bold_rows and row.get(c.key) is None
            else plain(format_cell(row.get(c.key), c.kind, pence=pences[c.key]))
            for c in columns
        ]
        for r, row in enumerate(body)
    ]
    layout = _Layout(table, texts, bold_rows, FRAME_WIDTH)
    if not body:
        # "No rows." spans the table and must fit it.
        need = stringWidth("No rows.", FONT_ITALIC, layout.font_size) + 2 * CELL_PAD_X + 1
        layout.widths[0] = max(layout.widths[0], need - sum(layout.widths[1:]))
    size = layout.font_size
    leading = round(size * 1.22, 2)
    cell_style = _style("cell", fontSize=size, leading=leading)
    cell_bold = _style("cellb", fontName=FONT_BOLD, fontSize=size, leading=leading)
    head_left = _style("head", fontName=FONT_BOLD, fontSize=size, leading=leading)
    head_right = _style("headr", fontName=FONT_BOLD, fontSize=size, leading=leading, alignment=TA_RIGHT)

    data: list[list[Any]] = [
        [Paragraph(markup(c.label), head_right if c.numeric else head_left) for c in columns]
    ]
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), size),
        ("LEADING", (0, 0), (-1, -1), leading),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD_X),
        ("TOPPADDING", (0, 0), (-1, -1), CELL_PAD_Y),
        ("BOTTOMPADDING", (0, 0), (-1, -1), CELL_PAD_Y + 1),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
    ]
    for c, col in enumerate(columns):
        if col.numeric:
            commands.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
    if body:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, len(body)), [colors.white, ZEBRA]))
    status_commands: list[tuple[Any, ...]] = []  # applied last, over row fills
    for r, row in enumerate(body, start=1):
        bold = (r - 1) in bold_rows
        cells: list[Any] = []
        for c, col in enumerate(columns):
            text = texts[r - 1][c]
            if col.kind == "text":
                cells.append(Paragraph(markup(text), cell_bold if bold else cell_style))
            else:
                cells.append(text)  # a plain string: no markup, never wraps
            tone = STATUS_TONES.get(row.get(col.key)) if col.kind == "status" else None
            if tone in TONE_BG:
                status_commands.append(("BACKGROUND", (c, r), (c, r), TONE_BG[tone]))
                status_commands.append(("TEXTCOLOR", (c, r), (c, r), TONE_INK[tone]))
        data.append(cells)
        if bold:
            commands.append(("FONTNAME", (0, r), (-1, r), FONT_BOLD))
    for r0 in sorted(subtotal_rows):
        r = r0 + 1
        commands.append(("BACKGROUND", (0, r), (-1, r), SUBTOTAL_BG))
        commands.append(("LINEABOVE", (0, r), (-1, r), 0.5, RULE))
    if total is not None:
        r = len(body)
        commands.append(("BACKGROUND", (0, r), (-1, r), TOTAL_BG))
        commands.append(("LINEABOVE", (0, r), (-1, r), 1, INK))
        if len(body) > 1:
            # Never leave the total alone at the top of a page.
            commands.append(("NOSPLIT", (0, r - 1), (-1, r)))
    commands.extend(status_commands)
    if not body:
        data.append(["No rows."] + [""] * (len(columns) - 1))
        commands.append(("SPAN", (0, 1), (-1, 1)))
        commands.append(("FONTNAME", (0, 1), (0, 1), FONT_ITALIC))
        commands.append(("ALIGN", (0, 1), (0, 1), "LEFT"))

    flowable = LongTable(data, colWidths=layout.widths, repeatRows=1, hAlign="LEFT")
    flowable.setStyle(TableStyle(commands))
    # A title must not be stranded at the foot of a page, but keepWithNext
    # would push a long table whole onto a new page, leaving a blank one.
    out: list[Flowable] = [CondPageBreak(90), Paragraph(markup(table.title), STYLES["h2_table"]), flowable]
    if table.note:
        out.append(Paragraph(markup(table.note), STYLES["note"]))
    out.append(Spacer(1, 4 * mm))
    return out


# --------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------

CHART_FONT_SIZE = 7.5
CHART_LABEL_MAX = 210.0
CHART_PLOT_MAX_HEIGHT = 390.0


def _nice_step(span: float, ticks: int = 6) -> float:
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _axis_formatter(value_kind: str) -> Any:
    def fmt(v: float) -> str:
        if value_kind == "percent":
            return f"{v * 100:,.0f}%"
        if value_kind == "money":
            return f"£{v:,.0f}"
        return f"{v:,.0f}"

    return fmt


def _value_label(value_kind: str) -> Any:
    def fmt(v: float) -> str:
        if value_kind == "percent":
            return f"{v * 100:,.1f}%"
        if value_kind == "money":
            return f"£{v:,.0f}"
        return f"{v:,.0f}"

    return fmt


def _number(v: Any) -> float | None:
    return None if v is None else float(v)


def _legend(chart: Chart, x: float, y: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 0
    legend.dx = legend.dy = 8
    legend.dxTextSpace = 4
    legend.fontName = FONT
    legend.fontSize = 8
    legend.boxAnchor = "nw"
    legend.strokeWidth = 0
    pairs = []
    for i, (name, _) in enumerate(chart.series):
        pairs.append((SERIES_COLOURS[i % len(SERIES_COLOURS)], plain(name)))
    legend.colorNamePairs = pairs
    # Lay the entries out side by side.
    widths = [stringWidth(n, FONT, 8) for _, n in pairs]
    legend.deltax = max(widths, default=40) + 30
    return legend


def _value_axis_range(values: list[float | None]) -> tuple[float, float, float]:
    nums = [v for v in values if v is not None]
    lo = min([0.0] + nums)
    hi = max([0.0] + nums)
    if hi == lo:
        hi = lo + 1
    step = _nice_step((hi - lo) * 1.12)
    return math.floor(lo / step) * step, math.ceil(hi * 1.12 / step) * step, step


def _hbar_band(n_series: int) -> tuple[float, float]:
    """(bar thickness, height of one category's group) for horizontal bars."""
    bar = 6.5 if n_series <= 2 else 4.5
    return bar, bar * n_series + 6


def _style_axes_and_bars(
    bc: Any, chart: Chart, n_series: int, axis: tuple[float, float, float], *, reverse: bool
) -> None:
    bc.strokeColor = None
    bc.categoryAxis.labels.fontName = FONT
    bc.categoryAxis.labels.fontSize = CHART_FONT_SIZE
    bc.categoryAxis.strokeColor = MUTED
    va = bc.valueAxis
    va.valueMin, va.valueMax, va.valueStep = axis
    va.labels.fontName = FONT
    va.labels.fontSize = CHART_FONT_SIZE
    va.labelTextFormat = _axis_formatter(chart.value_kind)
    va.visibleGrid = 1
    va.gridStrokeColor = colors.HexColor("#E5E6E7")
    va.gridStrokeWidth = 0.5
    va.strokeColor = MUTED
    bc.barLabelFormat = _value_label(chart.value_kind)
    bc.barLabels.fontName = FONT
    bc.barLabels.fontSize = 6.5
    bc.barLabels.fillColor = MUTED
    for i in range(n_series):
        # Reversed series are drawn in reverse, so colour them to match the legend.
        k = n_series - 1 - i if reverse else i
        bc.bars[i].fillColor = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        bc.bars[i].strokeColor = None


def _hbar(
    chart: Chart, categories: list[str], series: list[list[float | None]], axis: tuple[float, float, float]
) -> Drawing:
    n_series = max(1, len(series))
    bar, band = _hbar_band(n_series)
    plot_h = band * max(1, len(categories))
    labels = [plain(c) for c in categories]
    all_labels = [plain(c) for c in chart.categories]
    # One label width for every part of a split chart, so the parts line up.
    label_w = min(max((stringWidth(t, FONT, CHART_FONT_SIZE) for t in all_labels), default=20) + 8,
                  CHART_LABEL_MAX)
    labels = [_fit(t, FONT, CHART_FONT_SIZE, label_w - 8) for t in labels]
    legend_h, axis_h = 22, 20
    height = plot_h + legend_h + axis_h
    d = Drawing(FRAME_WIDTH, height)
    bc = HorizontalBarChart()
    bc.x, bc.y = label_w, axis_h
    bc.width, bc.height = FRAME_WIDTH - label_w - 40, plot_h
    # Categories run top to bottom; that also flips the bars within each
    # group, so the series go in reversed to keep the legend's order.
    bc.data = series[::-1]
    bc.barWidth, bc.groupSpacing, bc.barSpacing = bar, 6, 0
    bc.categoryAxis.categoryNames = labels
    bc.categoryAxis.reverseDirection = 1
    bc.categoryAxis.labels.boxAnchor = "e"
    bc.categoryAxis.labels.dx = -4
    bc.categoryAxis.tickLeft = 0
    _style_axes_and_bars(bc, chart, len(series), axis, reverse=True)
    bc.barLabels.boxAnchor = "w"
    bc.barLabels.dx = 3
    d.add(bc)
    d.add(_legend(chart, label_w, height))
    return d


def _vbar(
    chart: Chart, categories: list[str], series: list[list[float | None]], axis: tuple[float, float, float]
) -> Drawing:
    n_series = max(1, len(series))
    plot_h, legend_h, axis_h, left = 180.0, 22, 22, 50
    group = 24.0 * n_series + 36
    plot_w = min(FRAME_WIDTH - left - 10, max(group * len(categories), 220.0))
    height = plot_h + legend_h + axis_h
    d = Drawing(FRAME_WIDTH, height)
    bc = VerticalBarChart()
    bc.x, bc.y = left, axis_h
    bc.width, bc.height = plot_w, plot_h
    bc.data = series
    bc.groupSpacing, bc.barSpacing = 14, 2
    band = plot_w / max(1, len(categories))
    bc.categoryAxis.categoryNames = [_fit(plain(c), FONT, CHART_FONT_SIZE, band - 6) for c in categories]
    bc.categoryAxis.labels.boxAnchor = "n"
    bc.categoryAxis.labels.dy = -4
    _style_axes_and_bars(bc, chart, len(series), axis, reverse=False)
    bc.barLabels.boxAnchor = "s"
    bc.barLabels.dy = 2
    d.add(bc)
    d.add(_legend(chart, left, height))
    return d


def _chart_flowables(chart: Chart) -> list[Flowable]:
    categories = list(chart.categories)
    series = [[_number(v) for v in values] for _, values in chart.series]
    title = Paragraph(markup(chart.title), STYLES["h2"])
    if not categories or not series:
        return [title, Paragraph("<i>No data to chart.</i>", STYLES["note"])]
    axis = _value_axis_range([v for s in series for v in s])
    vertical = chart.kind == "vbar"
    if chart.kind == "bar" and len(categories) <= 8:
        group = 24.0 * len(series) + 36
        vertical = all(stringWidth(plain(c), FONT, CHART_FONT_SIZE) <= group - 8 for c in categories)
    if vertical:
        return [KeepTogether([title, _vbar(chart, categories, series, axis)]), Spacer(1, 4 * mm)]
    # Many categories: split into parts that each fit a page, on one scale.
    _, band = _hbar_band(len(series))
    per_part = max(4, int(CHART_PLOT_MAX_HEIGHT // band))
    parts = math.ceil(len(categories) / per_part)
    per_part = math.ceil(len(categories) / parts)  # even parts, not a full chart and a stub
    out: list[Flowable] = []
    for k in range(parts):
        lo, hi = k * per_part, min(len(categories), (k + 1) * per_part)
        suffix = f" ({k + 1} of {parts})" if parts > 1 else ""
        part_title = Paragraph(markup(chart.title + suffix), STYLES["h2"])
        drawing = _hbar(chart, categories[lo:hi], [s[lo:hi] for s in series], axis)
        out.append(KeepTogether([part_title, drawing]))
        out.append(Spacer(1, 4 * mm))
    return out


# --------------------------------------------------------------------------
# Sections, notes, warnings
# --------------------------------------------------------------------------


def _section_flowables(section: Section) -> list[Flowable]:
    story: list[Flowable] = [
        _Bookmark(f"section-{section.key}", section.title),
        Paragraph(markup(section.title), STYLES["h1"]),
        _Rule(),
    ]
    for paragraph in section.paragraphs:
        story.append(Paragraph(markup(paragraph), STYLES["body"]))
    for table in section.tables:
        story.extend(_table_flowables(table))
    for chart in section.charts:
        story.extend(_chart_flowables(chart))
    return story


class _Rule(Flowable):
    """A thin full-width rule under a section heading."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return availWidth, 8

    def draw(self) -> None:
        self.canv.setStrokeColor(BRAND)
        self.canv.setLineWidth(1.5)
        self.canv.line(0, 5, self.width, 5)


def _closing_flowables(report: Report) -> list[Flowable]:
    if not report.notes and not report.warnings:
        return []
    story: list[Flowable] = [
        PageBreak(),
        _Bookmark("notes-and-warnings", "Notes and warnings"),
        Paragraph("Notes and warnings", STYLES["h1"]),
        _Rule(),
    ]
    if report.warnings:
        story.append(Paragraph("Warnings", STYLES["h2"]))
        for warning in report.warnings:
            story.append(_callout(markup(warning)))
            story.append(Spacer(1, 2 * mm))
    if report.notes:
        story.append(CondPageBreak(30 * mm))
        story.append(Paragraph("Notes", STYLES["h2"]))
        for i, note in enumerate(report.notes, start=1):
            story.append(Paragraph(markup(note), STYLES["list"], bulletText=f"{i}."))
    return story


def render_pdf(report: Report) -> bytes:
    report.validate()
    buf = io.BytesIO()
    doc = _Doc(buf, report)
    story = _title_page(report)
    for i, section in enumerate(report.sections):
        if i:
            story.append(PageBreak())
        story.extend(_section_flowables(section))
    story.extend(_closing_flowables(report))
    doc.build(story, canvasmaker=_canvas_maker(report, doc.bookmarks))
    return buf.getvalue()


__all__ = ["render_pdf", "plain", "markup"]
