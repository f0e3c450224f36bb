"""Excel workbooks: read with python-calamine, as quickly as a CSV file is (within about twice), with the same
result as the same rows saved as CSV — real Excel dates and numbers included — and no XML declarations."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook

from app.errors import DomainError
from app.imports import services
from app.imports.readers import CasefileReader
from tests.imports.conftest import HEADERS, csv_bytes, row

ROWS = [row(**{"Session date": "05/05/2024", "Contact type": "1:1", "Attendance": "Attended", "Duration": "60"}),
        row(**{"Session date": "12/05/2024", "Contact type": "phone", "Attendance": "DNA"}),
        row(**{"Client ID": "C2", "Forename": "Sam", "Surname": "Lee", "DOB": "01/01/2008", "Case number": "R2"})]


def _typed(heading: str, value: str):
    """A cell as Excel keeps it: dates as dates, whole numbers as numbers, blanks as nothing."""
    if not value:
        return None
    if heading in ("DOB", "Referral date", "Session date", "Date closed"):
        return datetime.strptime(value, "%d/%m/%Y")
    return int(value) if value.isdigit() else value


def _xlsx(rows: list[dict], left: int = 0) -> bytes:
    """The rows under the headings; a row given as None is left empty; `left` empty columns before them."""
    book = Workbook()
    sheet = book.active
    sheet.append([None] * left + HEADERS)
    for r in rows:
        sheet.append([None] * left + ([_typed(h, r.get(h, "")) for h in HEADERS] if r is not None else [None]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_checks_as_the_same_rows_in_csv_do(world):
    csv_run = services.start_run(world.programme_office, world.org_a, "casework.csv", csv_bytes(ROWS))
    csv_plan = services.check_run(world.programme_office, csv_run)
    xlsx_run = services.start_run(world.programme_office, world.org_a, "casework.xlsx", _xlsx(ROWS))
    assert xlsx_run.headers == csv_run.headers
    xlsx_plan = services.check_run(world.programme_office, xlsx_run)
    assert csv_plan.clean and xlsx_plan.clean, (csv_plan.problems, xlsx_plan.problems)
    assert xlsx_plan.summary() == csv_plan.summary()
    assert xlsx_plan.summary()["contacts_new"] == 2


def test_rows_keep_their_spreadsheet_numbers_and_columns_when_the_table_does_not_start_at_a1():
    rows = list(CasefileReader(io.BytesIO(_xlsx([ROWS[0], None, ROWS[1]], left=2)), "casework.xlsx").rows())
    assert [n for n, _ in rows] == [2, 4]  # the empty row 3 is skipped, not renumbered
    assert rows[0][1]["Session date"] == date(2024, 5, 5) and rows[0][1]["Duration"] == 60
    assert rows[0][1]["Forename"] == "Jordan" and "" not in rows[0][1]


def test_a_workbook_declaring_entities_is_refused_before_it_is_parsed():
    good = _xlsx(ROWS)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "xl/workbook.xml":
                data = data.replace(b"<workbook", b'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                                    b"<workbook", 1)
            target.writestr(entry, data)
    try:
        CasefileReader(io.BytesIO(out.getvalue()), "casework.xlsx").header()
    except DomainError as exc:
        assert "entity declarations" in exc.message
    else:
        raise AssertionError("a workbook declaring an external entity was read")
