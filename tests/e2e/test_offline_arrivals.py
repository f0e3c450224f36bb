"""A first contact written down offline and sent hours later (issue 14): the case page and the to-do judge the
clock by when it happened and say when it was recorded offline and when it arrived."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import shot, sign_in_as
from tests.e2e.test_accessibility import AXE, _violations
from tests.e2e.test_offline import make_case

pytestmark = pytest.mark.e2e
UK = ZoneInfo("Europe/London")


def other_provider_people(live_server) -> tuple[str, str]:
    """A youth worker and the manager of a provider other than the demo's first: their own sign-in allowance
    (10 per 15 minutes per account) and no second factor set up by another journey."""
    import sqlalchemy as sa

    from app.auth.models import User
    from app.db import db

    with live_server.app.app_context():
        worker = db.session.execute(sa.select(User).where(User.email.like("worker.%@example.org"))
                                    .order_by(User.id).limit(1)).scalar_one()
        manager = db.session.execute(sa.select(User).where(
            User.email.like("manager.%@example.org"), User.organisation_id == worker.organisation_id)).scalar_one()
        emails = worker.email, manager.email
        db.session.remove()
    return emails


def _contact_sent_hours_later(live_server, referral_id: int, worker_email: str) -> None:
    import sqlalchemy as sa

    from app.auth.models import User
    from app.db import db
    from app.referrals import services
    from app.referrals.models import ContactMode, Referral

    with live_server.app.app_context():
        worker = db.session.execute(sa.select(User).where(User.email == worker_email)).scalar_one()
        referral = db.session.get(Referral, referral_id)
        referred = referral.referred_at or datetime.combine(referral.referred_on, time(9, 0))
        happened = (referred + timedelta(hours=3)).replace(second=0, microsecond=0)  # well within the clock
        services.log_contact(worker, referral, occurred_at=happened, mode=ContactMode.ONE_TO_ONE, attended=True,
                             notes="Met in the A&E basement, no signal",
                             # Saved on the phone five minutes later (stored as UTC); it arrives now.
                             recorded_offline_at=happened.replace(tzinfo=UK).astimezone(UTC).replace(tzinfo=None)
                             + timedelta(minutes=5))
        db.session.commit()
        db.session.remove()


def test_the_case_page_and_the_to_do_show_when_it_happened_was_recorded_and_arrived(page, live_server):
    worker, manager = other_provider_people(live_server)
    referral_id = make_case(live_server, "Kwame", "Arrivedlater-Osei", worker_email=worker)
    _contact_sent_hours_later(live_server, referral_id, worker)

    sign_in_as(page, worker)
    page.goto(f"/referrals/{referral_id}")
    first = page.locator("[data-testid=first-contact]").inner_text()
    assert "within the 24-hour clock" in first
    offline = page.locator("[data-testid=first-contact-offline]").inner_text()
    assert offline.startswith("Recorded offline at ") and ", arrived " in offline
    shot(page, "offline-15-case-first-contact-arrived-later")
    assert AXE is None or _violations(page) == []

    page.goto("/todo")
    row = page.locator(f"[data-testid=offline-first-contacts] tr[data-referral='{referral_id}']")
    assert "within the 24-hour clock" in row.inner_text() and "Recorded offline at" in row.inner_text()
    shot(page, "offline-16-todo-worker-arrived-later")
    assert AXE is None or _violations(page) == []

    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    sign_in_as(page, manager)
    page.goto("/todo")
    row = page.locator(f"[data-testid=offline-first-contacts] tr[data-referral='{referral_id}']")
    assert "Kwame Arrivedlater-Osei" in row.inner_text() and ", arrived " in row.inner_text()
    shot(page, "offline-17-todo-manager-arrived-later")
    assert AXE is None or _violations(page) == []
