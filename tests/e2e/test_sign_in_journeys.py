"""Each demo role signs in and lands on its home page, with real data on it."""
from __future__ import annotations

from datetime import date

import pytest

from app.periods import fy_label, fy_of
from tests.e2e.conftest import shot, sign_in_as, sign_out

pytestmark = pytest.mark.e2e

HOMES = [
    ("worker@example.org", "youth_worker", "Your open referrals"),
    ("manager@example.org", "provider_manager", "Caseload by site"),
    ("programme.office@example.org", "programme_office", f"Programmes and {fy_label(fy_of(date.today()))} targets"),
    ("finance@example.org", "finance", "Grant years"),
    ("admin@example.org", "admin", "Accounts by organisation"),
]


@pytest.mark.parametrize("email,role,heading", HOMES, ids=[h[1] for h in HOMES])
def test_role_signs_in_and_lands_home(page, email, role, heading):
    sign_in_as(page, email)
    assert page.url.endswith("/"), page.url
    assert page.locator("h1").inner_text().startswith("Hello")
    assert page.get_by_role("heading", name=heading).is_visible()
    shot(page, f"home-{role}")
    sign_out(page)
    assert "Sign in to Waypoint" in page.content()


def test_programme_office_home_shows_this_years_targets(page, live_server):
    """The demo holds every year to today's, so home shows the current year's targets, totalled from the rows."""
    import sqlalchemy as sa

    from app.db import db
    from app.programmes.models import Target, TargetMeasure

    with live_server.app.app_context():
        total = db.session.execute(sa.select(sa.func.sum(Target.value)).where(
            Target.fy == fy_of(date.today()), Target.measure == TargetMeasure.NEW_24_AND_UNDER)).scalar_one()
        db.session.remove()
    sign_in_as(page, "programme.office@example.org")
    assert total and page.locator("[data-testid=target-total-new_24_and_under]").inner_text() == f"{total:,}"
    rows = page.locator("[data-testid=caseload-by-site] tbody tr").count()
    assert rows >= 10


def test_wrong_password_shows_a_clear_message(page):
    sign_in_as(page, "worker@example.org", password="definitely wrong")
    assert page.get_by_text("Enter a correct email address and password").first.is_visible()
    shot(page, "sign-in-error")
