"""The reachable moment in a real browser (issue 13): with time frozen, a referral at a hospital site appears on its
worker's and manager's to-do with 24 h on the clock, turns amber at 4 h left and red when the clock runs out, and
leaves both lists when a contact attempt is logged. Screenshots go to test-artifacts/e2e/ to be looked at."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, shot, sign_in_as

pytestmark = pytest.mark.e2e
UK = ZoneInfo("Europe/London")
WORKER, MANAGER = "worker@example.org", "manager@example.org"


def _hospital_referral(live_server, at: datetime) -> int:
    from app.auth.models import User
    from app.db import db
    from app.programmes.models import Site
    from app.referrals.models import LawfulBasis, Person, Referral, ReferralSource
    from app.referrals.names import name_key
    from app.referrals.transitions import ReferralStatus

    with live_server.app.app_context():
        site = db.session.execute(sa.select(Site).where(Site.name.like("%Reading%"))).scalars().first()
        worker = db.session.execute(sa.select(User).where(User.email == WORKER)).scalar_one()
        person = Person(given_name="Clockwise", family_name="Journey", name_key=name_key("Clockwise", "Journey"),
                        date_of_birth=at.date().replace(year=at.year - 17), organisation_id=site.provider_id)
        referral = Referral(person=person, programme_id=site.programme_id, site_id=site.id,
                            provider_id=site.provider_id, referred_on=at.date(), referred_at=at,
                            source=ReferralSource.AE_CLINICIAN, lawful_basis=LawfulBasis.PUBLIC_TASK,
                            assigned_worker_id=worker.id, status=ReferralStatus.RECEIVED)
        db.session.add(referral)
        db.session.commit()
        rid = referral.id
        db.session.remove()
    return rid


def _row(page, rid: int, path: str = "/todo"):
    """The referral's row on the to-do list, looking through its pages (most urgent first)."""
    page.goto(path)
    for _ in range(40):
        row = page.locator(f"[data-testid=todo-item][data-referral='{rid}']")
        if row.count():
            row.first.scroll_into_view_if_needed()
            return row.first
        nxt = page.locator(".govuk-pagination__item--current + .govuk-pagination__item a")
        if not nxt.count():
            return None
        nxt.first.click()
        page.wait_for_load_state("domcontentloaded")
    return None


def _at(moment: datetime):
    return time_machine.travel(moment.replace(tzinfo=UK), tick=True)


def test_hospital_clock_from_referral_to_first_attempt(page, live_server):
    start = datetime.now(UK).replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=1)
    rid = _hospital_referral(live_server, start)

    with _at(start + timedelta(seconds=20)):
        for email, who in ((WORKER, "worker"), (MANAGER, "manager")):
            sign_in_as(page, email)
            row = _row(page, rid)
            assert row is not None, f"not on the {who}'s to-do"
            expect(row).to_have_attribute("data-state", "green")
            expect(row.locator(".wp-when")).to_have_text("24 h left")
            shot(page, f"clock-1-green-{who}")
            row.screenshot(path=str(ARTIFACTS / f"clock-1-green-{who}-row.png"))
            page.context.clear_cookies()

    with _at(start + timedelta(hours=20, seconds=20)):
        sign_in_as(page, WORKER)
        expect(page.locator("[data-testid=todo-lead]")).to_be_visible()  # the home page leads with the to-do
        row = _row(page, rid)
        expect(row).to_have_attribute("data-state", "amber")
        expect(row.locator(".wp-when")).to_have_text("4 h left")
        expect(row.locator(".govuk-tag")).to_have_text("Due soon")
        row.screenshot(path=str(ARTIFACTS / "clock-2-amber-worker-row.png"))
        page.goto("/")
        shot(page, "clock-2-amber-worker-home")
        page.context.clear_cookies()

    with _at(start + timedelta(hours=24, minutes=30, seconds=20)):
        sign_in_as(page, MANAGER)
        row = _row(page, rid)
        expect(row).to_have_attribute("data-state", "red")
        expect(row.locator(".wp-when")).to_have_text("30 min late")
        expect(row.locator(".govuk-tag")).to_have_text("Clock ran out")
        expect(page.locator("[data-testid=breaches]")).to_contain_text("waiting past the first-contact clock")
        page.goto("/todo")
        shot(page, "clock-3-red-manager")
        page.context.clear_cookies()

        sign_in_as(page, WORKER)
        row = _row(page, rid)
        expect(row).to_have_attribute("data-state", "red")
        row.get_by_role("link", name="Log a contact attempt").click()
        page.check("input[name=attended][value=no]")
        page.check("input[name=mode][value=phone]")
        page.get_by_role("button", name="Save contact").click()
        page.wait_for_load_state("domcontentloaded")
        expect(page.locator(".govuk-notification-banner").first).to_contain_text("saved")
        assert _row(page, rid) is None, "still on the worker's to-do after a contact attempt"
        page.goto("/")
        shot(page, "clock-4-after-attempt-worker-home")
        page.context.clear_cookies()

        sign_in_as(page, MANAGER)
        assert _row(page, rid) is None, "still on the manager's to-do after a contact attempt"


def test_timeliness_on_the_dashboard_and_in_the_return(page, live_server):
    sign_in_as(page, "programme.office@example.org")
    page.goto("/reports/targets?fy=2024")
    table = page.locator("[data-testid=timeliness]")
    expect(table).to_contain_text("Median hours to first attempt")
    expect(table.locator("tbody tr").first).to_contain_text("All sites")
    table.screenshot(path=str(ARTIFACTS / "timeliness-dashboard-table.png"))
    page.goto("/reports/returns/2024/3")
    section = page.locator("#section-T")
    expect(section).to_have_text("T. Timeliness: referral to first contact")
    expect(page.locator("[data-testid=table-T-1]")).to_contain_text("% within the clock")
    expect(page.locator("[data-testid=table-T-2]")).to_contain_text("Referred on a weekday")
    page.locator("[data-testid=table-T-2]").screenshot(path=str(ARTIFACTS / "timeliness-return-T2.png"))
    page.locator("[data-testid=table-T-1]").screenshot(path=str(ARTIFACTS / "timeliness-return-T1.png"))
