"""The to-do list (issue 13): a hospital referral's first-contact clock, with time frozen, on the worker's and
the manager's list; the other kinds of item; scope; and a query count that does not grow with the caseload."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from app.clocks.models import ProgrammeClock
from app.clocks.rules import ClockUnit
from app.db import db
from app.referrals.models import TimePoint
from app.referrals.transitions import ReferralStatus
from tests.conftest import sign_in
from tests.factories import ContactFactory, OutcomeMeasureFactory, PersonFactory, ReferralFactory

UK = ZoneInfo("Europe/London")
REFERRED = datetime(2026, 6, 10, 9, 0)  # a Wednesday, British Summer Time


def _items(client, user, at: datetime, path: str = "/todo") -> dict[int, list[tuple[str, str, str]]]:
    """{referral id: [(kind, state, when)]} as the page shows them, signed in afresh at `at` (UK time)."""
    with time_machine.travel(at.replace(tzinfo=UK), tick=False):
        sign_in(client, user)
        page = client.get(path)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        client.post("/sign-out")
    found: dict[int, list] = {}
    for m in re.finditer(r'data-testid="todo-item" data-kind="(\w+)" data-referral="(\d+)" data-state="(\w+)">'
                         r'.*?<span class="wp-when">([^<]*)</span>', html, re.S):
        found.setdefault(int(m.group(2)), []).append((m.group(1), m.group(3), m.group(4)))
    return found


@pytest.fixture
def fresh(world):
    referral = ReferralFactory(person=world.person_a, site=world.site_a, assigned_worker=world.worker_a,
                               referred_on=REFERRED.date(), referred_at=REFERRED)
    db.session.flush()
    return referral


def test_hospital_referral_clock_on_worker_and_manager_lists(client, world, fresh):
    for user in (world.worker_a, world.manager_a):
        assert _items(client, user, REFERRED)[fresh.id] == [("first_contact", "green", "24 h left")]
    assert _items(client, world.worker_a, REFERRED + timedelta(hours=19, minutes=59))[fresh.id][0][1] == "green"
    for user in (world.worker_a, world.manager_a):
        assert _items(client, user, REFERRED + timedelta(hours=20))[fresh.id] == [
            ("first_contact", "amber", "4 h left")]
        assert _items(client, user, REFERRED + timedelta(hours=24, minutes=30))[fresh.id] == [
            ("first_contact", "red", "30 min late")]
    # Breaches are counted for the manager.
    with time_machine.travel((REFERRED + timedelta(hours=25)).replace(tzinfo=UK), tick=False):
        sign_in(client, world.manager_a)
        html = client.get("/todo").get_data(as_text=True)
        assert "1 referral waiting past the first-contact clock" in html
        client.post("/sign-out")
    # Another provider never sees it.
    assert fresh.id not in _items(client, world.manager_b, REFERRED + timedelta(hours=20))
    # A contact attempt (a did-not-attend counts as an attempt) takes it off both lists.
    at = REFERRED + timedelta(hours=25)
    with time_machine.travel(at.replace(tzinfo=UK), tick=False):
        sign_in(client, world.worker_a)
        response = client.post(f"/referrals/{fresh.id}/contacts/new", data={
            "occurred_on": ["11", "6", "2026"], "occurred_time": "10:00",
            "mode": "phone", "attended": "no"})
        assert response.status_code == 302, re.findall(r"govuk-error-message.*?</p>|error-summary.*?</ul>", response.get_data(as_text=True), re.S)
        client.post("/sign-out")
    for user in (world.worker_a, world.manager_a):
        assert fresh.id not in _items(client, user, at + timedelta(minutes=5))


def test_working_day_clock_and_no_clock(client, world, fresh):
    db.session.add(ProgrammeClock(programme_id=world.programme.id, first_contact_within=5,
                                  first_contact_unit=ClockUnit.WORKING_DAYS, amber_hours=4))
    db.session.flush()
    # Wed 10 Jun 09:00 + 5 working days = Wed 17 Jun 09:00 (168 h).
    assert _items(client, world.worker_a, REFERRED)[fresh.id] == [("first_contact", "green", "7 days left")]
    clock = db.session.execute(sa.select(ProgrammeClock)).scalar_one()
    clock.first_contact_within = None
    db.session.flush()
    assert _items(client, world.worker_a, REFERRED + timedelta(days=2))[fresh.id] == [
        ("first_contact", "grey", "No clock; referred 2 days ago")]


def test_contact_due_by_cadence_ignores_did_not_attend(client, world, fresh):
    world.programme.cadence_days = 7
    ContactFactory(referral=fresh, occurred_at=datetime(2026, 6, 10, 12, 0), attended=True)
    ContactFactory(referral=fresh, occurred_at=datetime(2026, 6, 16, 12, 0), attended=False)
    fresh.first_contact_at, fresh.reached_on, fresh.status = datetime(2026, 6, 10, 12), date(2026, 6, 10), \
        ReferralStatus.ENGAGED
    db.session.flush()
    OutcomeMeasureFactory(referral=fresh, time_point=TimePoint.BASELINE, measured_on=date(2026, 6, 10))
    db.session.flush()
    assert _items(client, world.worker_a, datetime(2026, 6, 16, 13, 0)).get(fresh.id) is None
    assert _items(client, world.worker_a, datetime(2026, 6, 17, 9, 0))[fresh.id] == [
        ("contact_due", "amber", "due today")]
    items = _items(client, world.worker_a, datetime(2026, 6, 19, 9, 0))[fresh.id]
    assert items == [("contact_due", "red", "2 days overdue")]
    # Without a cadence, 14 days without any contact (the did-not-attend on 16 Jun counts) is flagged.
    world.programme.cadence_days = None
    db.session.flush()
    assert _items(client, world.worker_a, datetime(2026, 6, 30, 9, 0)).get(fresh.id) is None
    assert _items(client, world.worker_a, datetime(2026, 7, 1, 9, 0))[fresh.id] == [
        ("stale", "red", "last contact 15 days ago")]


def test_baseline_review_exit_and_follow_up(client, world, fresh):
    fresh.first_contact_at, fresh.reached_on, fresh.status = datetime(2026, 6, 10, 12), date(2026, 6, 10), \
        ReferralStatus.ENGAGED
    ContactFactory(referral=fresh, occurred_at=datetime(2026, 6, 10, 12, 0), attended=True)
    db.session.flush()
    # Baseline due 14 days after the first attended session (24 Jun), listed from a week before.
    assert _items(client, world.worker_a, datetime(2026, 6, 16, 9)).get(fresh.id) is None
    assert _items(client, world.worker_a, datetime(2026, 6, 17, 9))[fresh.id] == [("baseline", "green", "due in 7 days")]
    OutcomeMeasureFactory(referral=fresh, time_point=TimePoint.BASELINE, measured_on=date(2026, 6, 17))
    ContactFactory(referral=fresh, occurred_at=datetime(2026, 8, 30, 12, 0), attended=True)
    db.session.flush()
    # Review at 12 weeks: 2 Sep.
    assert _items(client, world.worker_a, datetime(2026, 9, 3, 9))[fresh.id] == [("review", "red", "1 day overdue")]
    fresh.status, fresh.closed_on = ReferralStatus.CLOSED, date(2026, 9, 4)
    db.session.flush()
    assert _items(client, world.worker_a, datetime(2026, 9, 5, 9))[fresh.id] == [("exit", "green", "due in 6 days")]
    assert _items(client, world.worker_a, datetime(2026, 9, 20, 9)).get(fresh.id) is None


def test_trial_control_arm_has_no_clock_only_its_follow_ups(client, world, fresh):
    """A control-arm referral is never contacted by design: no first-contact clock, no 'nobody assigned', no
    breach — but its 6-month follow-up falls due like the intervention arm's."""
    control = ReferralFactory(person=PersonFactory(organisation=world.org_a), site=world.site_a, assigned_worker=None, trial_arm="control",
                              referred_on=REFERRED.date(), referred_at=REFERRED)
    fresh.trial_arm = "intervention"
    db.session.flush()
    late = REFERRED + timedelta(days=3)
    for user in (world.worker_a, world.manager_a):
        assert control.id not in _items(client, user, late)
    assert _items(client, world.manager_a, late)[fresh.id] == [("first_contact", "red", "48 h late")]
    # Six months on (10 Dec), the follow-up opens for both arms.
    at = datetime(2026, 12, 1, 9, 0)
    assert ("follow_up", "green", "6-month, due in 9 days") in _items(client, world.manager_a, at)[control.id]


def test_unassigned_referrals_are_for_managers(client, world, fresh):
    fresh.assigned_worker = None
    db.session.flush()
    assert _items(client, world.manager_a, REFERRED + timedelta(hours=21))[fresh.id] == [
        ("unassigned", "amber", "3 h left")]
    assert fresh.id not in _items(client, world.worker_a, REFERRED)
    assert fresh.id not in _items(client, world.manager_a, REFERRED, "/todo?mine=1")


def _count_queries(client, user, path: str) -> int:
    statements = []

    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sign_in(client, user)
    client.get(path)  # warm caches (the session user, capability look-ups)
    sa.event.listen(db.engine, "before_cursor_execute", _count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", _count)
    return len(statements)


def _open_referrals(world, n: int) -> None:
    from app.referrals.models import Person, Referral

    people = [{"given_name": f"Load{i}", "family_name": "Test", "name_key": f"load{i} test",
               "organisation_id": world.org_a.id, "date_of_birth": date(2008, 1, 1)} for i in range(n)]
    ids = db.session.execute(sa.insert(Person).returning(Person.id), people).scalars().all()
    workers = (world.worker_a.id, world.worker_a2.id, None)
    rows = [{"person_id": pid, "programme_id": world.programme.id, "site_id": world.site_a.id,
             "provider_id": world.org_a.id, "referred_on": date(2026, 6, 1) + timedelta(days=i % 9),
             "referred_at": datetime(2026, 6, 1, 9) + timedelta(hours=i % 200), "source": "ae_clinician",
             "lawful_basis": "public_task", "status": "received", "trial_arm": "none",
             "assigned_worker_id": workers[i % 3]} for i, pid in enumerate(ids)]
    db.session.execute(sa.insert(Referral), rows)
    db.session.flush()


def test_query_count_is_constant_from_10_to_1000_open_referrals(client, world):
    counts = {}
    with time_machine.travel(datetime(2026, 6, 10, 12, tzinfo=UK), tick=False):
        for target in (10, 1000):
            have = db.session.execute(sa.text("SELECT count(*) FROM referrals WHERE person_id IN "
                                              "(SELECT id FROM people WHERE family_name = 'Test')")).scalar()
            _open_referrals(world, target - have)
            counts[target] = {who: _count_queries(client, user, "/todo")
                              for who, user in (("worker", world.worker_a), ("manager", world.manager_a))}
    print(f"\nto-do page queries, 10 open referrals: {counts[10]}; 1,000: {counts[1000]}")
    assert counts[10] == counts[1000]
