"""Rough edges a first week hits (issue 12): contact duration, the order of a worker's cases."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from app.db import db
from tests.conftest import sign_in
from tests.factories import ContactFactory, PersonFactory, ReferralFactory
from tests.referrals.test_views import _contact_form


def _duration_value(page: str) -> str:
    match = re.search(r'name="duration_minutes"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="duration_minutes"', page)
    return match.group(1) if match else ""


def test_contact_duration_is_not_prefilled_with_45_but_remembers_the_workers_last(world, client):
    sign_in(client, world.worker_a)
    case = f"/referrals/{world.referral_a.id}/contacts/new"
    first = client.get(case).get_data(as_text=True)
    assert _duration_value(first) == ""  # nothing recorded yet: empty, with a clear label
    assert "How long it lasted, in minutes" in first
    saved = client.post(case, data=_contact_form(duration_minutes="20"))
    assert saved.status_code == 302
    assert _duration_value(client.get(case).get_data(as_text=True)) == "20"


def test_home_lists_a_workers_cases_in_the_same_order_as_my_caseload(world, client):
    today = date.today()
    worker = world.worker_a
    made = []
    for i, last in enumerate([None, today - timedelta(days=30), today - timedelta(days=2), None]):
        r = ReferralFactory(site=world.site_a, assigned_worker=worker,
                            referred_on=today - timedelta(days=1 if i == 3 else 40 - i),
                            person=PersonFactory(organisation=world.org_a, family_name=f"Order{i}"))
        if last:
            ContactFactory(referral=r, occurred_at=datetime.combine(last, time(10)), attended=True, worker=worker)
        made.append(r)
    db.session.flush()
    sign_in(client, worker)
    home = client.get("/").get_data(as_text=True)
    home = home[home.index('data-testid="my-open-referrals"'):]
    caseload = client.get("/referrals/mine").get_data(as_text=True)

    def order(page):
        return sorted(range(4), key=lambda i: page.index(f"Order{i}"))

    assert order(home) == order(caseload) == [0, 3, 1, 2]  # not yet contacted first, however recent
