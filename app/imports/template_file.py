"""The downloadable casework template: Waypoint's own headings, an example row, and a sheet that explains each
column and lists the accepted words (sites and outcomes of the organisation, when one is chosen)."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from app.documents.safe_cells import neutralise as safe_text
from app.imports import fields as F
from app.imports.mapping import Setup

KIND_WORDS = {F.TEXT: "text", F.DATE: "date, like 15/06/2024", F.DATETIME: "date, like 15/06/2024 (a time may follow)",
              F.TIME: "time, like 14:30", F.INT: "whole number", F.DECIMAL: "number", F.CATEGORY: "one of the choices"}


def headings() -> list[str]:
    return [f.label for f in F.FIELDS]


def example_row() -> list[str]:
    return [f.example for f in F.FIELDS]


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings())
    writer.writerow(example_row())
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(setup: Setup | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Casework"
    sheet.append([safe_text(h) for h in headings()])
    sheet.append([safe_text(v) for v in example_row()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    guide = book.create_sheet("How to fill it in")
    guide.append(["Column", "Section", "Required", "What to enter", "Accepted words"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for f in F.FIELDS:
        if f.kind == F.CATEGORY:
            choices = setup.choices(f.key) if setup else (F.fixed_choices(f.key) or [])
            words = "; ".join(label for _value, label in choices) or "the organisation's own (set up in Waypoint)"
        else:
            words = ""
        guide.append([safe_text(f.label), f.group, "yes" if f.required else "", safe_text(
            f"{KIND_WORDS[f.kind]}. {f.hint}".strip()), safe_text(words)])
    guide.append([])
    guide.append(["One row per session, outcome or measure; repeat the person's and the referral's columns on each "
                  "row. A referral with no sessions yet needs one row of its own."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
