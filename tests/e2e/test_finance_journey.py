"""Finance: a new grant year from set-up to the files sent to the Home Office (issue 5 "Done when").

Sets up 2021-22: the demo holds every year from 2023-24 to today's (as `flask demo-data` does), and 2021-22 has
no grant year and no Home Office match rate on record, so the journey starts from nothing and disturbs no other.
"""
from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, shot, sign_in_as

pytestmark = pytest.mark.e2e

LINES = [  # name, type label, planned
    ("Programme team", "Programme team", "150,000"),
    ("Evaluation", "Evaluation", "50,000"),
    ("Hospital Navigators", "Intervention", "300,000"),
    ("Sports and Inclusion", "Intervention", "200,000"),
]
BAD_LEDGER = (
    "date,line,amount,type,description,reference\r\n"
    "10/04/2021,Sports and Inclusion,\"12,500.00\",actual,Sports and Inclusion CIC invoice 101,GL-1001\r\n"
    "31/04/2021,Hospital Navigators,8000.00,actual,Berkshire Youth Navigators invoice 55,GL-1002\r\n"
    "20/06/2021,Hospital Navigator,4000.00,actual,Berkshire Youth Navigators invoice 56,GL-1003\r\n"
    "25/06/2021,Evaluation,5000.00,actual,University evaluation stage 1,GL-1004\r\n"
)
GOOD_LEDGER = BAD_LEDGER.replace("31/04/2021", "30/04/2021").replace(",Hospital Navigator,", ",Hospital Navigators,")


def _fill_date(page, name: str, day: int, month: int, year: int) -> None:
    page.fill(f"#{name}-day", str(day))
    page.fill(f"#{name}-month", str(month))
    page.fill(f"#{name}-year", str(year))


def _spend_rows(page) -> int:
    return page.locator("[data-testid=spend-entries] tbody tr", has=page.get_by_role("link", name="Change")).count()


def _upload(page, body: str) -> None:
    page.goto("/finance/years/2021/ledger")
    page.check("input[name=quarter][value='1']")
    page.set_input_files("#file", files=[{"name": "ledger-q1.csv", "mimeType": "text/csv", "buffer": body.encode()}])
    page.get_by_role("button", name="Check and upload").click()


def _download(page, link, name: str) -> bytes:
    with page.expect_download() as info:
        link.click()
    path = ARTIFACTS / name
    info.value.save_as(path)
    return path.read_bytes()


def test_finance_sets_up_a_year_and_downloads_its_reports(page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sign_in_as(page, "finance@example.org")
    page.get_by_role("link", name="Finance").first.click()
    page.get_by_role("link", name="Set up another year").click()

    # A new year with no Home Office match rate on record asks for one, next to the field.
    page.select_option("#fy", "2021")
    page.fill("#allocation", "1,000,000")
    page.fill("#grant_reference", "VRU-TV-2021-22")
    page.get_by_role("button", name="Save grant year").click()
    page.wait_for_load_state("domcontentloaded")
    assert "Enter the match funding percentage for 2021-22" in page.locator(".govuk-error-summary").inner_text()
    page.fill("#match_pct", "20")
    page.get_by_role("button", name="Save grant year").click()
    assert page.get_by_role("heading", name="Budget lines").is_visible()
    assert page.locator("[data-testid=unallocated]").inner_text() == "£1,000,000"

    for name, type_label, planned in LINES:
        page.get_by_role("link", name="Add a budget line").click()
        page.fill("#name", name)
        page.get_by_label(type_label, exact=True).check()
        page.fill("#planned", planned)
        page.get_by_role("button", name="Save line").click()
        page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=lines-total]").inner_text() == "£700,000"
    assert page.locator("[data-testid=unallocated]").inner_text() == "£300,000"
    assert page.get_by_text("Unallocated").is_visible()
    shot(page, "finance-new-year-lines")

    # One entry by hand.
    page.goto("/finance/years/2021/spend/new")
    page.select_option("#line_id", label="Hospital Navigators")
    _fill_date(page, "incurred_on", 15, 5, 2021)
    page.fill("#amount", "25,000")
    page.get_by_role("button", name="Save spend", exact=True).click()
    assert "Actual spend of £25,000 on Hospital Navigators saved (2021-22 Q1)" in page.locator(
        ".govuk-notification-banner").inner_text()
    assert _spend_rows(page) == 1

    # A ledger with two bad rows: each reported by row and column, and nothing saved.
    _upload(page, BAD_LEDGER)
    errors = page.locator("[data-testid=ledger-errors]").inner_text()
    assert "Nothing was saved: 2 problems in the file" in errors
    assert "Row 3, column A (date)" in errors
    assert 'Row 4, column B (line): "Hospital Navigator" is not a 2021-22 budget line' in errors
    shot(page, "finance-ledger-errors")
    page.goto("/finance/years/2021/spend")
    assert _spend_rows(page) == 1

    _upload(page, GOOD_LEDGER)
    assert "4 rows added (£29,500)" in page.locator(".govuk-notification-banner").inner_text()
    page.goto("/finance/years/2021/spend")
    assert _spend_rows(page) == 5
    _upload(page, GOOD_LEDGER)  # the same file again adds nothing
    banner = page.locator(".govuk-notification-banner").inner_text()
    assert "Nothing was added: all 4 rows of this file were already imported" in banner
    assert "rows added" not in banner
    assert "5 entries in Q1: £54,500 actual." in page.locator("[data-testid=spend-total]").inner_text()

    # Correcting the hand entry: £25,000 should have been £24,000.
    page.locator("[data-testid=spend-entries] tr", has_text="£25,000").get_by_role("link", name="Change").click()
    page.fill("#amount", "24,000")
    page.get_by_role("button", name="Save changes").click()
    assert "Spend entry changed: actual £24,000 on Hospital Navigators" in page.locator(
        ".govuk-notification-banner").inner_text()

    # Match funding: a cash contribution and a seconded sergeant.
    page.goto("/finance/years/2021/match")
    page.get_by_role("link", name="Add a contribution").click()
    page.fill("#contributor", "Thames Valley Police")
    page.get_by_label("Cash", exact=True).check()
    page.fill("#basis", "Cash contribution to Sports and Inclusion")
    page.fill("#amount", "50,000")
    _fill_date(page, "received_on", 2, 6, 2021)
    page.get_by_label("Accepted", exact=True).check()
    page.fill("#evidence_note", "Letter TVP/2021/014")
    page.get_by_role("button", name="Save contribution").click()
    page.get_by_role("link", name="Add a secondment").click()
    page.fill("#contributor", "Thames Valley Police")
    page.fill("#role", "Police sergeant")
    page.fill("#fte", "1")
    _fill_date(page, "starts_on", 1, 4, 2021)
    _fill_date(page, "ends_on", 31, 3, 2022)
    page.fill("#annual_loaded_cost", "72,000")
    page.get_by_label("Pledged", exact=True).check()
    page.get_by_role("button", name="Save secondment").click()
    page.wait_for_load_state("domcontentloaded")
    match_text = page.locator("[data-testid=match-lines]").inner_text()
    assert "Police sergeant, 1 FTE" in match_text and "£72,000" in match_text
    shot(page, "finance-new-year-match")

    # The dashboard's rule checks, on plan and on outturn.
    page.get_by_role("link", name="Dashboard").click()
    rules = page.locator("[data-testid=rule-checks]")
    plan_30 = rules.locator("[data-testid=rule-intervention_share] [data-testid=plan-pct]").inner_text()
    assert plan_30 == "50.0%"  # £500,000 of interventions in a £1m grant
    assert rules.locator("[data-testid=rule-evaluation_share] [data-testid=plan-pct]").inner_text() == "10.0%"
    assert rules.locator("[data-testid=rule-evaluation_share-stricter] [data-testid=plan-pct]").inner_text() == "9.1%"
    match_row = rules.locator("[data-testid=rule-match_funding]").inner_text()
    # £50,000 accepted of £200,000 required; the £72,000 secondment is only pledged and would not cover the
    # £150,000 shortfall, so the rule fails (it would be "at risk" only if the pledges covered it).
    assert "Fail" in match_row and "At risk" not in match_row
    assert page.locator("[data-testid=match-required]").inner_text() == "£200,000"
    assert page.locator("[data-testid=match-accepted]").inner_text() == "£50,000"
    assert page.locator("[data-testid=match-at-risk]").inner_text() == "£72,000"
    assert rules.locator("[data-testid=rule-q4_share]").is_visible()
    assert page.locator("[data-testid=ytd]").inner_text() == "£53,500"
    assert page.locator("[data-testid=dash-unallocated]").inner_text() == "£300,000"
    shot(page, "finance-new-year-dashboard")

    # Downloads: grant spend (PDF), match funding (XLSX, read back), the complete quarterly return (PDF).
    reports = page.locator("ul.govuk-list").last
    grant_pdf = _download(page, reports.locator("a", has_text="PDF").filter(has_text="Grant spend"),
                          "finance-grant-spend-2021-22.pdf")
    assert grant_pdf.startswith(b"%PDF")
    match_xlsx = _download(page, reports.locator("a", has_text="XLSX").filter(has_text="Match funding"),
                           "finance-match-funding-2021-22.xlsx")
    return_pdf = _download(page, reports.locator("a", has_text="PDF").filter(has_text="Complete quarterly return"),
                           "finance-quarterly-return-2021-22.pdf")
    assert return_pdf.startswith(b"%PDF")

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(match_xlsx))
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert "Thames Valley Police" in cells
    assert any(isinstance(v, (int, float)) and float(v) == 50000 for v in cells)
    assert any(isinstance(v, (int, float)) and float(v) == 200000 for v in cells)  # required
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)

    for name, body, expected in (("grant spend", grant_pdf, "Hospital Navigators"),
                                 ("return", return_pdf, "VRU-TV-2021-22")):
        text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
        assert expected in text, name
    if shutil.which("pdftoppm"):
        for stem in ("finance-grant-spend-2021-22", "finance-quarterly-return-2021-22"):
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(ARTIFACTS / f"{stem}.pdf"),
                           str(ARTIFACTS / stem)], check=True)
