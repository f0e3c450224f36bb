from __future__ import annotations

import csv
import io

import pytest

HEADERS = ["Client ID", "Forename", "Surname", "DOB", "Gender", "Ethnic origin", "Case number", "Hospital",
           "Referral date", "Referred by", "Legal basis", "Session date", "Contact type", "Attendance",
           "Duration", "Date closed", "Closure reason", "Exit status"]


def csv_bytes(rows: list[dict], headers=HEADERS, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    for row in rows:
        writer.writerow({h: row.get(h, "") for h in headers})
    return out.getvalue().encode(encoding)


def row(**values) -> dict:
    base = {"Client ID": "C1", "Forename": "Jordan", "Surname": "Smith", "DOB": "14/03/2007", "Gender": "M",
            "Ethnic origin": "White British", "Case number": "R1", "Hospital": "A&E A",
            "Referral date": "02/05/2024", "Referred by": "A&E", "Legal basis": "Public task"}
    base.update(values)
    return base


@pytest.fixture
def casefile():
    return csv_bytes
