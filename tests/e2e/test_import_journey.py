"""Programme office: a new provider's spreadsheet mapped, dry-run, two rows fixed, imported, and the people seen
on the target dashboard."""
from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import ARTIFACTS, shot, sign_in_as

pytestmark = pytest.mark.e2e

HEADERS = ["YP number", "First name", "Family name", "Date of birth", "Sex", "Ethnic group", "Referral ID",
           "Hospital", "Referred on", "Referred by", "Lawful basis", "Seen on", "Worker's session type", "Attended?"]
PEOPLE = [("Orla", "Quennell"), ("Tomasz", "Brightwater"), ("Kemi", "Ashdown"), ("Reuben", "Fairweather"),
          ("Sienna", "Blackthorn"), ("Idris", "Wolstenholme")]


def _rows(broken: bool) -> list[list[str]]:
    start = date(2024, 10, 7)  # last year's casework: the year the programme office is working on (2024-25)
    rows = []
    for i, (given, family) in enumerate(PEOPLE):
        referred = start + timedelta(days=i)
        born = referred.replace(year=referred.year - 15 - i % 4) - timedelta(days=20)
        base = [f"OYW-{i}", given, family, born.strftime("%d/%m/%Y"), "F" if i % 2 else "M", "White British",
                f"OYW-R{i}", "JR A&E", referred.strftime("%d/%m/%Y"), "A&E", "Public task"]
        rows.append(base + [(referred + timedelta(days=1)).strftime("%d/%m/%Y"), "Ward round", "Attended"])
        rows.append(base + [(referred + timedelta(days=8)).strftime("%d/%m/%Y"), "Phone", "DNA"])
    if broken:
        rows[2][3] = "30/02/2009"        # row 4: no such date
        rows[7][11] = "01/01/2020"       # row 9: a session before the referral
    return rows


def _write(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)


def _hospital_young(page, programme_id: int) -> int:
    page.get_by_role("link", name="Targets").first.click()
    page.goto("/reports/targets?fy=2024")  # the demo lives in the current year; the file is 2024-25's casework
    cell = page.locator(f"[data-testid=ytd-{programme_id}-24_and_under]")
    return int(cell.inner_text()) if cell.count() else 0


def test_programme_officer_imports_a_new_providers_spreadsheet(page, live_server):
    from app.db import db
    from app.programmes.models import Programme

    with live_server.app.app_context():
        programme_id = db.session.execute(sa.select(Programme.id).where(Programme.name == "Hospital Navigators")).scalar_one()
        db.session.remove()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    broken, fixed = ARTIFACTS / "oxford-youth-works.csv", ARTIFACTS / "oxford-youth-works-fixed.csv"
    _write(broken, _rows(True))
    _write(fixed, _rows(False))

    sign_in_as(page, "programme.office@example.org")
    before = _hospital_young(page, programme_id)
    page.get_by_role("link", name="Import").first.click()
    assert page.get_by_role("heading", name="Import casework").is_visible()
    page.select_option("#organisation_id", label="Oxford Youth Works")
    page.set_input_files("#file", str(broken))
    shot(page, "import-upload")
    page.get_by_role("button", name="Upload").click()

    # Columns: Waypoint guessed most; the officer picks the one it could not.
    assert page.get_by_role("heading", name="Match the columns").is_visible()
    assert page.locator("#given_name").input_value() == "First name"
    assert page.locator("#site").input_value() == "Hospital"
    assert page.locator("#mode").input_value() == ""
    assert page.locator("#contact_on").input_value() == ""
    page.select_option("#person_ref", label="YP number")
    page.select_option("#contact_on", label="Seen on")
    page.select_option("#mode", label="Worker's session type")
    shot(page, "import-columns")
    page.get_by_role("button", name="Save and continue").click()

    # Values: the provider's own words.
    assert page.get_by_role("heading", name="Match the values").is_visible()
    page.get_by_label('"JR A&E"').select_option(label="John Radcliffe Hospital A&E, Oxford (Hospital Navigators)")
    page.get_by_label('"Ward round"').select_option(label="Face to face in setting")
    shot(page, "import-values")
    page.get_by_role("button", name="Save and continue").click()

    # Dry run: two rows need fixing, nothing saved.
    page.get_by_role("button", name="Check the file").click()
    problems = page.locator("[data-testid=problems] tbody tr")
    assert problems.count() == 2
    text = page.locator("[data-testid=problems]").inner_text()
    assert "30/02/2009" in text and "before the referral date" in text
    assert page.get_by_role("button", name="Import 6 referrals").count() == 0
    shot(page, "import-dry-run-problems")

    # The officer fixes the two rows and uploads the file again: the mapping is remembered.
    page.get_by_role("link", name="Upload a corrected file").click()
    page.select_option("#organisation_id", label="Oxford Youth Works")
    page.set_input_files("#file", str(fixed))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("#mode").input_value() == "Worker's session type"
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_label('"Ward round"').input_value() == "in_setting"  # remembered for this provider
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Check the file").click()
    assert page.locator("[data-testid=problems]").count() == 0
    shot(page, "import-dry-run-clean")

    # Import, in the background with a page that refreshes itself.
    live_server.app.config["IMPORT_IN_BACKGROUND"] = True
    try:
        page.get_by_role("button", name="Import 6 referrals").click()
        page.wait_for_selector("text=Imported", timeout=60_000)
    finally:
        live_server.app.config["IMPORT_IN_BACKGROUND"] = False
    shot(page, "import-done")

    # The people are on the target dashboard, and behind its figure.
    after = _hospital_young(page, programme_id)
    assert after == before + len(PEOPLE)
    shot(page, "import-targets-after")
    page.locator(f"[data-testid=ytd-{programme_id}-24_and_under]").click()
    page.wait_for_load_state("domcontentloaded")
    listing = page.content()
    assert all(family in listing for _given, family in PEOPLE)
    shot(page, "import-people-behind-the-figure")
