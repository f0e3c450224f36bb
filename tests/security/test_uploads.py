"""Upload controls (SECURITY.md §7 and "Bad input"): hostile ledger files are refused through the real upload
route with a message a finance officer can act on — by row and column where there are rows — never a 500,
and nothing is saved. XLSX is read within bounds (unpacked size, entries, rows, columns) with defusedxml.

Figure: "N hostile uploads, 0 server errors, 0 rows saved"."""
from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile
from html import unescape

import pytest
import sqlalchemy as sa

from app.db import db
from app.errors import DomainError
from app.finance import ledger
from app.finance.models import Expenditure
from tests.conftest import sign_in

URL = "/finance/years/2024/ledger"  # the world's 2024-25 grant; Q1 is 1 April to 30 June 2024
SHEET = "xl/worksheets/sheet1.xml"


def _count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Expenditure)).scalar_one()


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _replace(data: bytes, name: str, body: bytes) -> bytes:
    """The same workbook with one part replaced (as a hand-crafted hostile file would be)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, body if info.filename == name else src.read(info.filename))
    return out.getvalue()


def _lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """Rewrite a part's declared unpacked size in both zip headers, as a zip bomb built to dodge a size check does."""
    buf = bytearray(data)
    encoded = name.encode()
    for match in re.finditer(rb"PK\x01\x02", bytes(buf)):
        at = match.start()
        length = int.from_bytes(buf[at + 28:at + 30], "little")
        if bytes(buf[at + 46:at + 46 + length]) == encoded:
            buf[at + 24:at + 28] = size.to_bytes(4, "little")
            local = int.from_bytes(buf[at + 42:at + 46], "little")
            buf[local + 22:local + 26] = size.to_bytes(4, "little")
    return bytes(buf)


GOOD_ROWS = [["date", "line", "amount"], ["15/05/2024", "Hospital Navigators", 100]]
BASE = _xlsx(GOOD_ROWS)
_SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c><c r="B1" t="inlineStr"><is><t>line</t></is>'
              b'</c><c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>')
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
            b'<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
XXE_SHEET = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
             b'<c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')


def _xxe_workbook() -> bytes:
    """An external entity declared in xl/workbook.xml, which is parsed when the file is opened."""
    with zipfile.ZipFile(io.BytesIO(BASE)) as z:
        xml = z.read("xl/workbook.xml")
    assert xml.startswith(b"<workbook")  # openpyxl writes no XML declaration
    doctype = b'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "http://169.254.169.254/latest/meta-data/">]>'
    return _replace(BASE, "xl/workbook.xml", doctype + xml)


def _bomb() -> bytes:
    # 100 MB of whitespace inside a valid sheet compresses to about 100 KB.
    return _replace(BASE, SHEET, _SHEET_HEAD + _SHEET_ROW + b" " * (100 * 1024 * 1024) + b"</sheetData></worksheet>")


def _lying_bomb() -> bytes:
    body = _SHEET_HEAD + _SHEET_ROW + b" " * (60 * 1024 * 1024) + b"</sheetData></worksheet>"
    return _lie_about_size(_replace(BASE, SHEET, body), SHEET, 2048)


def _too_many_rows_xlsx() -> bytes:
    return _xlsx([["date", "line", "amount"]] + [["15/05/2024", "Hospital Navigators", 1]] * (ledger.MAX_ROWS + 1))


def _wide_row_xlsx() -> bytes:
    return _xlsx([["date", "line", "amount"] + [f"extra {i}" for i in range(2000)],
                  ["15/05/2024", "Hospital Navigators", "nope"]])


HEAD = "date,line,amount,description"
def _cases() -> list[tuple]:
    """name, file name, body, expected status, what the page must say (built when the test runs: the bombs
    take a moment to compress)."""
    return [
        ("over the size limit", "big.csv", _csv(HEAD) + b"x" * (6 * 1024 * 1024), 413, "Files can be up to 5 MB"),
        ("empty file", "q1.csv", b"", 200, "The file is empty"),
        ("headings only", "q1.csv", _csv(HEAD), 200, "the file has headings but no rows of spend"),
        ("BOM and a bad date", "q1.csv", b"\xef\xbb\xbf" + _csv(HEAD, "31/02/2024,Hospital Navigators,10,x"), 200,
         'Row 2, column A (date): "31/02/2024" is not a date'),
        ("Windows-1252 with a bad line", "q1.csv",
         _csv(HEAD, "15/05/2024,Hospital Navigators,£10,café", "15/05/2024,Nowhere,£10,x", encoding="cp1252"), 200,
         'Row 3, column B (line): "Nowhere" is not a 2024-25 budget line'),
        ("UTF-16 with a bad amount", "q1.csv", _csv(HEAD, "15/05/2024,Hospital Navigators,ten,x", encoding="utf-16"),
         200, 'Row 2, column C (amount): "ten" is not an amount of money'),
        ("ragged row", "q1.csv", _csv(HEAD, "15/05/2024,Hospital Navigators,10,x,stray,more"), 200,
         "Row 2: this row has 6 cells but there are only 4 headings"),
        ("embedded newline then a bad row", "q1.csv",
         _csv(HEAD, '15/05/2024,Hospital Navigators,10,"two\nlines"', "15/05/2024,Hospital Navigators,-5,x"), 200,
         "Row 3, column C (amount): the amount must be more than £0"),
        ("duplicate headings", "q1.csv", _csv("date,line,amount,Amount", "15/05/2024,Hospital Navigators,10,11"), 200,
         "Row 1, column D (Amount): this is a second 'amount' column"),
        ("missing heading", "q1.csv", _csv("date,amount", "15/05/2024,10"), 200, "there is no 'line' column"),
        ("unclosed quote", "q1.csv", _csv(HEAD, '15/05/2024,Hospital Navigators,10,"open', "15/05/2024,x,1,y"), 200,
         "cannot be read as CSV"),
        ("one enormous field", "q1.csv", _csv(HEAD, "15/05/2024,Hospital Navigators,10," + "x" * 300_000), 200,
         "cannot be read as CSV"),
        ("date outside the quarter", "q1.csv", _csv(HEAD, "15/08/2024,Hospital Navigators,10,x"), 200,
         "Row 2, column A (date): 15 August 2024 is not in 2024-25 Q1"),
        ("formula in the amount", "q1.csv", _csv(HEAD, '15/05/2024,Hospital Navigators,=SUM(1+1),x'), 200,
         'Row 2, column C (amount): "=SUM(1+1)" is not an amount of money'),
        ("CSV rows over the limit", "q1.csv", _csv(HEAD, *["15/05/2024,Hospital Navigators,1,x"] * (ledger.MAX_ROWS + 1)),
         200, "more than 5,000 rows"),
        ("binary disguised as CSV", "q1.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, 200,
         "not a text CSV file"),
        ("old Excel format", "q1.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, 200, "Upload the ledger as .xlsx or .csv"),
        ("corrupt workbook", "q1.xlsx", BASE[: len(BASE) // 2], 200, "not a readable Excel workbook"),
        ("zip bomb", "q1.xlsx", _bomb(), 200, "too large once unpacked"),
        ("zip bomb lying about its size", "q1.xlsx", _lying_bomb(), 200, "not a readable Excel workbook"),
        ("billion laughs", "q1.xlsx", _replace(BASE, SHEET, LAUGHS), 200, "XML that is not allowed"),
        ("external entity (XXE) in a sheet", "q1.xlsx", _replace(BASE, SHEET, XXE_SHEET), 200,
         "XML that is not allowed"),
        ("external entity (XXE) in the workbook part", "q1.xlsx", _xxe_workbook(), 200, "XML that is not allowed"),
        ("XLSX rows over the limit", "q1.xlsx", _too_many_rows_xlsx(), 200, "more than 5,000 rows"),
        ("XLSX 2,003 columns and a bad amount", "q1.xlsx", _wide_row_xlsx(), 200,
         'Row 2, column C (amount): "nope" is not an amount of money'),
    ]


def test_hostile_uploads_are_refused_without_errors_or_saving(app, world, client):
    sign_in(client, world.finance)
    before = _count()
    server_errors = 0
    cases = _cases()
    for name, filename, body, status, expected in cases:
        response = client.post(URL, data={"quarter": "1", "file": (io.BytesIO(body), filename)},
                               content_type="multipart/form-data")
        server_errors += response.status_code >= 500
        page = unescape(response.get_data(as_text=True))
        assert response.status_code == status, f"{name}: {response.status_code}"
        assert expected in page, f"{name}: {expected!r} not shown"
        if status == 200:
            assert "Nothing was saved" in page or "There is a problem" in page, name
    saved = _count() - before
    print(f"\n{len(cases)} hostile uploads, {server_errors} server errors, {saved} rows saved")
    assert server_errors == 0 and saved == 0


def test_the_413_page_names_the_limit_and_offers_a_way_back(app, world, client):
    sign_in(client, world.finance)
    response = client.post(URL, data={"quarter": "1", "file": (io.BytesIO(b"x" * (6 * 1024 * 1024)), "big.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The file is too large" in page and "Files can be up to 5 MB. Nothing was saved." in page
    assert "Go to your home page" in page
    assert client.post(URL, data={"quarter": "1", "file": (io.BytesIO(b"x" * 100), "small.csv")},
                       content_type="multipart/form-data").status_code == 200


@pytest.mark.parametrize(("name", "build", "message"), [
    ("zip bomb, 100 MB unpacked", _bomb, "too large once unpacked"),
    ("zip bomb lying about its size, 60 MB unpacked", _lying_bomb, "not a readable Excel workbook"),
    ("billion laughs", lambda: _replace(BASE, SHEET, LAUGHS), "not allowed"),
    ("5,001 rows", _too_many_rows_xlsx, "more than 5,000 rows"),
])
def test_xlsx_is_read_within_bounds(name, build, message):
    data = build()
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(DomainError, match=message):
        ledger.read_rows("q1.xlsx", data, [])
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\n{name}: a {len(data) / 1024:,.0f} KB file refused in {seconds:.2f} s, peak memory {peak / 2**20:.1f} MB")
    # Memory, not time, is asserted: a bomb that was unpacked would need at least its unpacked size.
    assert peak < 48 * 2**20


def test_a_good_workbook_still_reads(app, world):
    result = ledger.import_ledger(world.finance, world.grant_year, 1, "q1.xlsx", BASE)
    assert result.ok and result.added == 1
