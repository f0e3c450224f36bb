"""Page geometry, colours, type and text cleaning shared by every part of the PDF."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

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


def paragraph_style(name: str, **kw: Any) -> ParagraphStyle:
    base = {"fontName": FONT, "fontSize": 9.5, "leading": 13, "textColor": INK}
    base.update(kw)
    return ParagraphStyle(name, **base)


STYLES = {
    "service": paragraph_style("service", fontName=FONT_BOLD, fontSize=12, leading=15, textColor=BRAND),
    "title": paragraph_style("title", fontName=FONT_BOLD, fontSize=28, leading=33, spaceBefore=6, spaceAfter=8),
    "subtitle": paragraph_style("subtitle", fontSize=15, leading=20, textColor=INK),
    "period": paragraph_style("period", fontSize=15, leading=20, textColor=MUTED),
    "meta": paragraph_style("meta", fontSize=9, leading=12, textColor=MUTED),
    "label": paragraph_style("label", fontName=FONT_BOLD, fontSize=10, leading=13),
    "value": paragraph_style("value", fontSize=10, leading=13),
    "h1": paragraph_style("h1", fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=4, keepWithNext=1),
    "h2": paragraph_style("h2", fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=5,
                 keepWithNext=1),
    "h2_table": paragraph_style("h2_table", fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=5),
    "body": paragraph_style("body", rightIndent=180, spaceAfter=6),
    "note": paragraph_style("note", fontName=FONT_ITALIC, fontSize=8, leading=10.5, textColor=MUTED, spaceBefore=3),
    "list": paragraph_style("list", leftIndent=14, bulletIndent=2, rightIndent=120, spaceAfter=4),
    "warning": paragraph_style("warning", fontSize=9.5, leading=13),
}


# --------------------------------------------------------------------------
# Page furniture: "Page N of M" needs the page count, so pages are kept
# until the end and the furniture is drawn on each as it is written out.
# --------------------------------------------------------------------------

def fit_text(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    ellipsis = "\u2026"
    while text and stringWidth(text + ellipsis, font, size) > width:
        text = text[:-1]
    return text.rstrip() + ellipsis
