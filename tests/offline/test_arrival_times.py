"""A first contact recorded offline (issue 14): the clock counts when it happened; the case page and the to-do
say when it was recorded offline and when it arrived."""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.db import db, utcnow
from app.referrals.models import Contact
from app.todo.services import uk_now
from tests.api.conftest import ApiClient, personal_token
from tests.conftest import sign_in
from tests.factories import PersonFactory, ReferralFactory

UK = ZoneInfo("Europe/London")


def _referral(world, days_ago: int):
    referred = datetime.combine(uk_now().date() - timedelta(days=days_ago), time(10, 0))
    person = PersonFactory(given_name="Tobi", family_name="Offline", organisation=world.org_a)
    return ReferralFactory(person=person, site=world.site_a, assigned_worker=world.worker_a,
                           referred_on=referred.date(), referred_at=referred)


def _contact(app, world, referral, occurred: datetime, recorded_offline_at: datetime | None) -> Contact:
    body = {"occurred_at": occurred.isoformat(), "mode": "one_to_one", "attended": True}
    if recorded_offline_at is not None:
        body["recorded_offline_at"] = recorded_offline_at.isoformat() + "Z"
    api = ApiClient(app.test_client(), personal_token(world.worker_a))
    response = api.post(f"/api/v1/referrals/{referral.id}/contacts", json=body)
    assert response.status_code == 201, response.get_json()
    return db.session.get(Contact, response.get_json()["id"])


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_case_page_shows_the_clock_kept_by_the_time_it_happened_and_both_offline_times(client, app, world):
    referral = _referral(world, days_ago=2)
    occurred = referral.referred_at + timedelta(hours=5)  # well within a hospital's 24-hour clock
    saved_utc = utcnow() - timedelta(hours=30)            # on the phone, long before it could be sent
    contact = _contact(app, world, referral, occurred, saved_utc)
    db.session.commit()
    sign_in(client, world.worker_a)
    page = _text(client.get(f"/referrals/{referral.id}").get_data(as_text=True))
    assert f"{occurred.strftime('%-d %b %Y %H:%M')}, within the 24-hour clock" in page
    saved_uk, arrived_uk = (moment.replace(tzinfo=UTC).astimezone(UK)
                            for moment in (contact.recorded_offline_at, contact.created_at))
    assert (f"Recorded offline at {saved_uk.strftime('%-d %b %Y %H:%M')}, "
            f"arrived {arrived_uk.strftime('%-d %b %Y %H:%M')}") in page


def test_a_contact_logged_online_has_no_offline_line_and_a_late_one_says_how_late(client, app, world):
    referral = _referral(world, days_ago=5)
    _contact(app, world, referral, referral.referred_at + timedelta(hours=50), None)
    db.session.commit()
    sign_in(client, world.worker_a)
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "after the 24-hour clock ran out" in _text(html)
    assert 'data-testid="first-contact-offline"' not in html and "Recorded offline at" not in html


def test_the_to_do_lists_first_contacts_that_arrived_later_for_the_worker_and_the_manager(client, app, world):
    on_time = _referral(world, days_ago=3)
    _contact(app, world, on_time, on_time.referred_at + timedelta(hours=2), utcnow() - timedelta(hours=50))
    online = _referral(world, days_ago=3)
    _contact(app, world, online, online.referred_at + timedelta(hours=3), None)
    db.session.commit()
    for user in (world.worker_a, world.manager_a):
        browser = app.test_client()
        sign_in(browser, user)
        html = browser.get("/todo").get_data(as_text=True)
        assert html.count('data-testid="offline-first-contacts"') == 1, user.email
        table = html.split('data-testid="offline-first-contacts"')[1].split("</table>")[0]
        assert f'data-referral="{on_time.id}"' in table and f'data-referral="{online.id}"' not in table
        row = _text(table.split(f'data-referral="{on_time.id}"')[1].split("</tr>")[0])
        assert "within the 24-hour clock" in row and "Recorded offline at" in row and ", arrived " in row
    # Someone at another provider sees none of it.
    other = app.test_client()
    sign_in(other, world.worker_b)
    assert 'data-testid="offline-first-contacts"' not in other.get("/todo").get_data(as_text=True)
