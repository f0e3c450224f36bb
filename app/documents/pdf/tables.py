"""Tables that fit the page: column widths measured from their text, type shrunk a little for wide tables, headers repeated."""
from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    LongTable,
    Paragraph,
    Spacer,
    TableStyle,
)

from app.documents.formatting import aligns_right, column_pence, format_cell
from app.documents.model import STATUS_TONES
from app.documents.model import Table as ReportTable
from app.documents.pdf.style import (
    CELL_PAD_X,
    CELL_PAD_Y,
    FONT,
    FONT_BOLD,
    FONT_ITALIC,
    FRAME_HEIGHT,
    FRAME_WIDTH,
    HEADER_BG,
    INK,
    NUMERIC_HEADER_MAX,
    RULE,
    STYLES,
    SUBTOTAL_BG,
    TABLE_COMFORT_MIN_SIZE,
    TABLE_FONT_SIZES,
    TEXT_COLUMN_COMFORT,
    TEXT_COLUMN_MAX,
    TEXT_COLUMN_MIN,
    TONE_BG,
    TONE_INK,
    TOTAL_BG,
    ZEBRA,
    markup,
    paragraph_style,
    plain,
)

# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _words_width(text: str, font: str, size: float) -> float:
    return max((stringWidth(w, font, size) for w in text.split()), default=0.0)


def _lines_width(text: str, font: str, size: float) -> float:
    return max((stringWidth(line, font, size) for line in text.split("\n")), default=0.0)


class TableLayout:
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


def table_flowables(table: ReportTable) -> list[Flowable]:
    columns = table.columns
    pences = {c.key: column_pence(table, c) for c in columns}
    right = [aligns_right(table, c) for c in columns]
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
    layout = TableLayout(table, texts, bold_rows, FRAME_WIDTH)
    if not body:
        # "No rows." spans the table and must fit it.
        need = stringWidth("No rows.", FONT_ITALIC, layout.font_size) + 2 * CELL_PAD_X + 1
        layout.widths[0] = max(layout.widths[0], need - sum(layout.widths[1:]))
    size = layout.font_size
    leading = round(size * 1.22, 2)
    cell_style = paragraph_style("cell", fontSize=size, leading=leading)
    cell_bold = paragraph_style("cellb", fontName=FONT_BOLD, fontSize=size, leading=leading)
    head_left = paragraph_style("head", fontName=FONT_BOLD, fontSize=size, leading=leading)
    head_right = paragraph_style("headr", fontName=FONT_BOLD, fontSize=size, leading=leading, alignment=TA_RIGHT)

    data: list[list[Any]] = [
        [Paragraph(markup(c.label), head_right if right[i] else head_left) for i, c in enumerate(columns)]
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
    for c in range(len(columns)):
        if right[c]:
            commands.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
    if body:
        commands.append(("ROWBACKGROUNDS", (0, 1), (-1, len(body)), [colors.white, ZEBRA]))
    status_commands: list[tuple[Any, ...]] = []  # applied last, over row fills
    for r, row in enumerate(body, start=1):
        bold = (r - 1) in bold_rows
        cells: list[Any] = []
        for c, col in enumerate(columns):
            text = texts[r - 1][c]
            if col.kind == "text" and not right[c]:
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
    commands.extend(status_commands)
    if not body:
        data.append(["No rows."] + [""] * (len(columns) - 1))
        commands.append(("SPAN", (0, 1), (-1, 1)))
        commands.append(("FONTNAME", (0, 1), (0, 1), FONT_ITALIC))
        commands.append(("ALIGN", (0, 1), (0, 1), "LEFT"))

    flowable = LongTable(data, colWidths=layout.widths, repeatRows=1, hAlign="LEFT")
    flowable.setStyle(TableStyle(commands))
    title = Paragraph(markup(table.title), STYLES["h2_table"])
    note = [Paragraph(markup(table.note), STYLES["note"])] if table.note else []
    _, height = flowable.wrap(FRAME_WIDTH, FRAME_HEIGHT)
    n = len(body)
    if n > 1:
        # Never leave a table's last rows (or its total) alone at the top of a page, nor its header with
        # one row at the foot of one: the first and last rows stay together (when they are not so tall
        # that keeping them together could not fit a page).
        heights = list(flowable._rowHeights)
        keep = []
        for first, last in ((max(1, n - 2), n), (0, min(3, n))):
            if sum(heights[first:last + 1]) < FRAME_HEIGHT / 2:
                keep.append(("NOSPLIT", (0, first), (-1, last)))
        flowable.setStyle(TableStyle(keep))
    if height <= SHORT_TABLE * FRAME_HEIGHT:
        # A short table is never split: it moves whole to the next page only when it does not fit, which
        # leaves at most that much of a page empty.
        return [KeepTogether([title, flowable, *note]), Spacer(1, 4 * mm)]
    # A long table starts where it is (a page is not left empty before it); its title is not stranded at
    # the foot of a page, because the header and first rows stay with it.
    return [CondPageBreak(90), title, flowable, *note, Spacer(1, 4 * mm)]


SHORT_TABLE = 0.3  # of the page's height


