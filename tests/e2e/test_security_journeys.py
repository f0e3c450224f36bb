"""Second factor, account and admin pages in a real browser (screenshots in test-artifacts/e2e/)."""
from __future__ import annotations

import pyotp
import pytest
import sqlalchemy as sa

from tests.e2e.conftest import shot, sign_in_as, sign_out

pytestmark = pytest.mark.e2e


def test_a_worker_opts_in_to_the_second_factor(page):
    sign_in_as(page, "worker2@example.org")
    page.click("text=Tom" if False else ".wp-user__name a")
    page.get_by_role("link", name="Set up second factor").click()
    assert page.locator("img.wp-qr").is_visible()
    shot(page, "two-factor-setup")
    page.click("text=I cannot scan the QR code")
    key = page.locator("[data-testid=totp-key]").inner_text().replace(" ", "")
    page.fill("#code", "000000")
    page.click("button:has-text('Continue')")
    assert page.get_by_text("That code did not match").first.is_visible()
    page.fill("#code", pyotp.TOTP(key).now())
    page.click("button:has-text('Continue')")
    assert page.get_by_text("Your authenticator app is set up").is_visible()
    sign_out(page)
    page.fill("#email", "worker2@example.org")
    page.fill("#password", "e2e demo password 2024")
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/sign-in/code")
    shot(page, "two-factor-code")


def test_admin_pages(page):
    sign_in_as(page, "admin@example.org")
    page.get_by_role("link", name="Users").first.click()
    assert page.locator("table tbody tr").count() >= 10
    shot(page, "admin-users")
    page.locator("table tbody tr a").first.click()
    shot(page, "admin-user")
    page.goto("/admin/audit?action=auth")
    assert page.locator("table tbody tr").count() >= 1
    shot(page, "admin-audit")


def test_programme_office_data_protection_pages(page, live_server):
    from app.db import db
    from app.referrals.models import Person

    with live_server.app.app_context():
        person_id = db.session.execute(sa.select(sa.func.min(Person.id))).scalar_one()
        db.session.remove()
    sign_in_as(page, "programme.office@example.org")
    page.goto(f"/admin/people/{person_id}")
    shot(page, "person-data-protection")
    page.goto(f"/admin/people/{person_id}/history")
    assert page.locator("table tbody tr").count() >= 1
    shot(page, "person-access-history")
