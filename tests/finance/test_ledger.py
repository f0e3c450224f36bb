"""Ledger upload: every bad row reported by row and column, nothing saved unless all rows are good,
and uploading the same file twice adds nothing (SECURITY.md "Bad input", §7, §8)."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.db import db
from app.errors import DomainError
from app.finance.ledger import import_ledger
from app.finance.models import Expenditure
from tests.conftest import sign_in


def _count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Expenditure)).scalar_one()


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


GOOD = _csv("date,line,amount,type,description,reference",
            "15/07/2024,Hospital Navigators,\"£10,416.67\",actual,Invoice 1,INV-1",
            "2024-08-15,hospital navigators,10416.67,,Invoice 2,INV-2",
            "30/09/2024,Hospital Navigators,500,forecast,,")


def test_good_ledger_is_saved_once(app, world):
    before = _count()
    result = import_ledger(world.finance, world.grant_year, 2, "q2.csv", GOOD)
    assert result.ok and result.added == 3 and result.total == D("21333.34")
    again = import_ledger(world.finance, world.grant_year, 2, "q2.csv", GOOD)
    assert again.ok and again.added == 0 and again.already_imported == 3
    assert _count() == before + 3
    print(f"\nledger: 3 rows added, re-upload added 0 ({again.already_imported} skipped)")


def test_every_bad_row_is_reported_and_nothing_is_saved(app, world):
    before = _count()
    data = _csv("date,line,amount,type,description,reference",
                "15/07/2024,Hospital Navigators,100,actual,ok,R1",
                "31/02/2024,Hospital Navigators,100,actual,,R2",          # no such date
                "15/05/2024,Hospital Navigators,100,actual,,R3",          # Q1, not Q2
                "15/07/2024,Nonsense line,100,actual,,R4",
                "15/07/2024,Hospital Navigators,-5,actual,,R5",
                "15/07/2024,Hospital Navigators,12.345,actual,,R6",
                "15/07/2024,Hospital Navigators,ten pounds,actual,,R7",
                "15/07/2024,Hospital Navigators,100,maybe,,R8",
                "15/07/2024,Hospital Navigators,100,actual,,R1",          # duplicate reference
                ",,,,,",                                                  # blank row: skipped
                "15/07/2024,Hospital Navigators,100,actual,,R9,extra")    # ragged
    result = import_ledger(world.finance, world.grant_year, 2, "bad.csv", data)
    got = [str(e) for e in result.errors]
    assert got == [
        "Row 3, column A (date): \"31/02/2024\" is not a date; write it like 15/06/2024",
        "Row 4, column A (date): 15 May 2024 is not in 2024-25 Q2 (1 Jul 2024 to 30 Sep 2024)",
        'Row 5, column B (line): "Nonsense line" is not a 2024-25 budget line; set it up first or correct the name',
        "Row 6, column C (amount): the amount must be more than £0; record a credit by correcting the original entry",
        "Row 7, column C (amount): 12.345 has fractions of a penny",
        'Row 8, column C (amount): "ten pounds" is not an amount of money; write it like 1234.50',
        'Row 9, column D (type): "maybe" must be actual or forecast',
        "Row 10, column F (reference): the same reference is also on row 2; each transaction needs its own reference",
        "Row 12: this row has 7 cells but there are only 6 headings; check for a stray comma",
    ]
    assert _count() == before
    print(f"\nledger: {len(got)} bad rows reported by row and column, 0 rows saved")


def test_bom_windows_1252_and_embedded_newlines(app, world):
    text = ("Date,Line,Amount,Description\r\n"
            "15/07/2024,Hospital Navigators,£1\u00a0000.00,\"Invoice 7\r\nsecond line\"\r\n")
    result = import_ledger(world.finance, world.grant_year, 2, "q2.csv", text.replace("\u00a0", "").encode("cp1252"))
    assert result.ok, result.errors
    assert result.added == 1 and "Windows-1252" in result.notes[0]
    entry = db.session.execute(sa.select(Expenditure).order_by(Expenditure.id.desc()).limit(1)).scalar_one()
    assert entry.description == "Invoice 7 second line" and entry.amount == D("1000.00")
    utf8_bom = "\ufeffdate,line,amount\r\n16/07/2024,Hospital Navigators,2\r\n".encode()
    assert import_ledger(world.finance, world.grant_year, 2, "a.csv", utf8_bom).added == 1


@pytest.mark.parametrize("data, message", [
    (_csv("date,line,amount,Amount", "15/07/2024,Hospital Navigators,1,2"), "Row 1, column D (Amount): this is a second 'amount'"),
    (_csv("when,what,how much", "15/07/2024,x,1"), "Row 1: there is no 'date' column"),
    (b'date,line,amount\r\n15/07/2024,"Hospital Navigators,1\r\n', None),
])
def test_malformed_headers_and_quotes(app, world, data, message):
    before = _count()
    try:
        result = import_ledger(world.finance, world.grant_year, 2, "x.csv", data)
        text = " | ".join(str(e) for e in result.errors)
    except DomainError as exc:
        text = exc.message
    assert (message or "Row 2") in text, text
    assert _count() == before


def test_utf16_and_binary_files(app, world):
    utf16 = "date\tline\tamount\r\n15/07/2024\tHospital Navigators\t5\r\n".encode("utf-16")
    assert import_ledger(world.finance, world.grant_year, 2, "u.csv", utf16).added == 1
    with pytest.raises(DomainError, match="not a readable Excel workbook"):
        import_ledger(world.finance, world.grant_year, 2, "x.xlsx", b"PK\x03\x04garbage")
    with pytest.raises(DomainError, match="empty"):
        import_ledger(world.finance, world.grant_year, 2, "x.csv", b"")


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_ledger(app, world):
    data = _xlsx([["Date", "Line", "Amount", "Reference"],
                  [datetime(2024, 7, 15), "Hospital Navigators", 10416.67, "X-1"],
                  [date(2024, 8, 15), "Hospital Navigators", 250, "X-2"],
                  ["15/08/2024", "Hospital Navigators", "ten", "X-3"]])
    result = import_ledger(world.finance, world.grant_year, 2, "q2.xlsx", data)
    assert [str(e) for e in result.errors] == [
        'Row 4, column C (Amount): "ten" is not an amount of money; write it like 1234.50']
    data = _xlsx([["Date", "Line", "Amount", "Reference"],
                  [datetime(2024, 7, 15), "Hospital Navigators", 10416.67, "X-1"],
                  [date(2024, 8, 15), "Hospital Navigators", 250, "X-2"]])
    result = import_ledger(world.finance, world.grant_year, 2, "q2.xlsx", data)
    assert result.ok and result.added == 2 and result.total == D("10666.67")


def test_upload_screen_lists_problems_and_saves_nothing(client, world):
    sign_in(client, world.finance)
    before = _count()
    bad = _csv("date,line,amount", "15/07/2024,Hospital Navigators,abc", "15/07/2024,Hospital Navigators,5")
    r = client.post("/finance/years/2024/ledger", data={"quarter": "2", "file": (io.BytesIO(bad), "q2.csv")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Nothing was saved: 1 problem" in page and "Row 2, column C (amount)" in page
    assert _count() == before
    r = client.post("/finance/years/2024/ledger", data={"quarter": "2", "file": (io.BytesIO(GOOD), "q2.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 302 and _count() == before + 3
