"""Home and My caseload lead with the to-do; most urgent first; the manager's home shows the organisation's."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from app.db import db
from tests.conftest import sign_in
from tests.factories import PersonFactory, ReferralFactory

UK = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 10, 12, 0)


def _three_clocks(world):
    made = {}
    for label, hours_ago in (("green", 2), ("red", 30), ("amber", 21)):
        made[label] = ReferralFactory(person=PersonFactory(organisation=world.org_a, given_name=f"Clock{label}"),
                                      site=world.site_a, assigned_worker=world.worker_a,
                                      referred_on=(NOW - timedelta(hours=hours_ago)).date(),
                                      referred_at=NOW - timedelta(hours=hours_ago))
    db.session.flush()
    return made


def _page(client, user, path):
    with time_machine.travel(NOW.replace(tzinfo=UK), tick=False):
        sign_in(client, user)
        response = client.get(path)
        assert response.status_code == 200
        return response.get_data(as_text=True)


def _order(html: str, made: dict) -> list[str]:
    """The states of the three clocks, in the order the lead shows them."""
    lead = html[html.index('data-testid="todo-lead"'):]
    lead = lead[:lead.index("</section>")]
    ours = {r.id for r in made.values()}
    return [state for rid, state in re.findall(
        r'data-testid="todo-item" data-kind="\w+" data-referral="(\d+)" data-state="(\w+)"', lead) if int(rid) in ours]


def test_worker_home_leads_with_the_todo_most_urgent_first(client, world):
    made = _three_clocks(world)
    html = _page(client, world.worker_a, "/")
    assert html.index('data-testid="todo-lead"') < html.index("Your open referrals")
    assert _order(html, made) == ["red", "amber", "green"]
    assert "30 h" not in html and "6 h late" in html and "3 h left" in html and "22 h left" in html
    assert "Bethany" not in html  # another provider's young person


def test_my_caseload_leads_with_the_todo(client, world):
    made = _three_clocks(world)
    html = _page(client, world.worker_a, "/referrals/mine")
    assert html.index('data-testid="todo-lead"') < html.index('data-testid="my-caseload"')
    assert _order(html, made) == ["red", "amber", "green"]


def test_manager_home_shows_the_organisations_todo_with_workers(client, world):
    made = _three_clocks(world)
    html = _page(client, world.manager_a, "/")
    assert "To do in your organisation" in html and _order(html, made) == ["red", "amber", "green"]
    lead = html[html.index('data-testid="todo-lead"'):]
    assert world.worker_a.full_name in lead[:lead.index("</section>")]
    assert "by worker and site" in html


def test_roles_without_casework_have_no_todo(client, world):
    for user in (world.finance, world.admin):
        html = _page(client, user, "/")
        assert 'data-testid="todo-lead"' not in html
        client.post("/sign-out")
