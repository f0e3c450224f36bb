"""Programme office: from the target dashboard to a locked Q2 2024-25 return, then the files it produces."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date

import pytest

from app.periods import fy_label, fy_of

from tests.e2e.conftest import ARTIFACTS, shot, sign_in_as

pytestmark = pytest.mark.e2e


def test_programme_office_locks_the_q2_return(page):
    sign_in_as(page, "programme.office@example.org")
    page.get_by_role("link", name="Targets").first.click()
    # The demo lives in the current year (as `flask demo-data` loads it): the dashboard opens on it.
    assert page.get_by_role("heading", name=f"Targets {fy_label(fy_of(date.today()))}").is_visible()
    shot(page, "targets-dashboard")
    page.goto("/reports/targets?fy=2024")  # the year whose Q2 return is locked below
    assert page.get_by_role("heading", name="Targets 2024-25").is_visible()
    # A number drills down to the people behind it.
    first = page.locator("[data-testid=targets-table] a[data-testid^=ytd-]").first
    figure = int(first.inner_text())
    first.click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("h1").inner_text().startswith(f"{figure} ")
    assert page.locator("[data-testid=people-table] tbody tr").count() == max(figure, 1)
    page.go_back()

    page.get_by_role("link", name="Quarterly returns for 2024-25").click()
    page.get_by_role("link", name="Q2 return").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=period-status]").inner_text() == "Open"
    page.fill("#sro_name", "Det Ch Supt Jane Doe")
    page.fill("#grant_reference", "HO-VRU-2024-TV")
    page.fill("#narrative", "Hospital Navigators recruited two new navigators.\n\nSchool Navigators began in September.")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=period-status]").inner_text() == "Draft"

    page.get_by_role("link", name="Review data-quality exceptions").click()
    if page.locator("[data-testid=exceptions-table]").count():
        shot(page, "return-exceptions")
        for box in page.locator("input[name=keys]").all():
            box.check()
        page.fill("#reason", "Checked with providers: the young people chose not to give these details")
        page.get_by_role("button", name="Accept selected exceptions").click()
    assert page.locator("[data-testid=no-open-exceptions]").is_visible()
    page.get_by_role("link", name="Back to the 2024-25 Q2 return").click()

    page.get_by_role("button", name="Mark as submitted").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=period-status]").inner_text() == "Submitted"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Lock the return").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=period-status]").inner_text() == "Locked"
    assert page.get_by_text("Return locked").first.is_visible()
    assert "Det Ch Supt Jane Doe" in page.locator("[data-testid=return-header]").inner_text()
    shot(page, "return-locked")

    files = {}
    for fmt in ("pdf", "xlsx", "json"):
        with page.expect_download() as info:
            page.locator("[data-testid=downloads]").get_by_role("link", name=fmt.upper(), exact=True).click()
        path = ARTIFACTS / f"return-2024-25-Q2.{fmt}"
        info.value.save_as(path)
        files[fmt] = path.read_bytes()
    assert files["pdf"].startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(ARTIFACTS / "return-2024-25-Q2.pdf"),
                        str(ARTIFACTS / "return-page")], check=True)

    from openpyxl import load_workbook

    report = json.loads(files["json"])
    assert "Det Ch Supt Jane Doe" in json.dumps(report["header"])
    book = load_workbook(io.BytesIO(files["xlsx"]))
    numbers = {c.value for ws in book.worksheets for r in ws.iter_rows() for c in r
               if isinstance(c.value, int) and not isinstance(c.value, bool)}
    d2 = next(t for s in report["sections"] for t in s["tables"] if t["title"].startswith("D2"))
    d3 = next(t for s in report["sections"] for t in s["tables"] if t["title"].startswith("D3"))
    for key in ("referrals", "q_total", "contacts"):
        assert d2["total_row"][key] in numbers, key
    for key in ("ytd", "ytd_young", "target_young"):
        assert d3["total_row"][key] in numbers, key
    sheet = next(ws for ws in book.worksheets if ws.title.startswith("D"))
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    for jrow in d2["rows"]:
        xrow = next(r for r in rows if r and r[0] == jrow["programme"] and len(r) > 7 and isinstance(r[6], int))
        assert xrow[1:8] == [jrow[k] for k in ("referrals", "q_young", "q_old", "q_unknown", "q_total",
                                                "continuing", "contacts")], jrow["programme"]
