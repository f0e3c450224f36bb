"""Render any document (Report) as a PDF with reportlab platypus (DESIGN.md §4.8).

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

from app.documents.pdf.render import render_pdf
from app.documents.pdf.style import markup, plain

__all__ = ["markup", "plain", "render_pdf"]
