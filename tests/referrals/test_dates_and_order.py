"""Issue 12, item 14: the dates of outcomes and closures default to today, as contacts do; home and My caseload
list a worker's open cases in the same order (most urgent first)."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from app.referrals.transitions import ReferralStatus
from tests.conftest import sign_in
from tests.factories import ContactFactory, PersonFactory, ReferralFactory


def _boxes(page: str, name: str) -> list[str]:
    """The day, month and year boxes' values of a GOV.UK date input."""
    values = []
    for part in ("day", "month", "year"):
        tag = re.search(rf'<input[^>]*id="{name}-{part}"[^>]*>', page).group(0)
        found = re.search(r'value="([^"]*)"', tag)
        values.append(found.group(1) if found else "")
    return values


def _today_boxes() -> list[str]:
    today = date.today()
    return [str(today.day), str(today.month), str(today.year)]


def test_an_outcome_date_starts_as_today(world, client):
    sign_in(client, world.manager_a)
    page = client.get(f"/referrals/{world.referral_a.id}/outcomes/new").get_data(as_text=True)
    assert [v.lstrip("0") for v in _boxes(page, "achieved_on")] == _today_boxes()


def test_a_closing_date_starts_as_today(world, client):
    sign_in(client, world.manager_a)
    page = client.get(f"/referrals/{world.referral_a.id}/close").get_data(as_text=True)
    assert [v.lstrip("0") for v in _boxes(page, "closed_on")] == _today_boxes()


def test_a_contact_date_starts_as_today_too(world, client):
    sign_in(client, world.worker_a)
    page = client.get(f"/referrals/{world.referral_a.id}/contacts/new").get_data(as_text=True)
    assert [v.lstrip("0") for v in _boxes(page, "occurred_on")] == _today_boxes()


def _ids(page: str, testid: str) -> list[int]:
    block = page.split(f'data-testid="{testid}"')[1].split("</table>")[0]
    return [int(n) for n in re.findall(r'href="/referrals/(\d+)"', block)]


def test_home_and_my_caseload_list_open_cases_in_the_same_order(world, client):
    """No contact yet (longest waiting first), then no contact for a fortnight (longest silence first), then
    the rest by how long since the last contact: the same on both pages."""
    today = date.today()
    worker = world.worker_a

    def case(days_ago: int, last_contact_days_ago: int | None):
        referral = ReferralFactory(person=PersonFactory(organisation=world.org_a), site=world.site_a,
                                   assigned_worker=worker, referred_on=today - timedelta(days=days_ago),
                                   status=ReferralStatus.RECEIVED if last_contact_days_ago is None
                                   else ReferralStatus.ENGAGED)
        if last_contact_days_ago is not None:
            ContactFactory(referral=referral, occurred_at=datetime.combine(
                today - timedelta(days=last_contact_days_ago), time(10, 0)))
        return referral.id

    recent = case(40, 2)
    waiting_newer = case(3, None)
    silent_long = case(90, 60)
    waiting_older = case(9, None)
    silent_short = case(50, 20)
    world.referral_a.status = ReferralStatus.CLOSED  # the world's own case leaves the comparison
    expected = [waiting_older, waiting_newer, silent_long, silent_short, recent]
    sign_in(client, worker)
    home = client.get("/").get_data(as_text=True)
    mine = client.get("/referrals/mine").get_data(as_text=True)
    assert _ids(home, "my-open-referrals") == expected
    assert _ids(mine, "my-caseload") == expected
