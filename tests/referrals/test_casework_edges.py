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
    assert "Duration in minutes" in first and "length of your last session" in first
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


def test_no_raw_framework_text_for_an_overlong_field(world, client):
    from app.reports import services

    services.period_for(2024, 2, create=True)
    db.session.flush()
    sign_in(client, world.programme_office)
    page = client.post("/reports/returns/2024/2/draft", data={"narrative": "x" * 20001},
                       follow_redirects=True).get_data(as_text=True)
    assert "Field cannot be longer than" not in page
    assert "20,000 characters or fewer" in page


def test_every_length_limit_in_the_pages_forms_has_a_plain_message():
    import inspect

    from wtforms.validators import Length

    from app.admin import forms as admin_forms
    from app.finance import forms as finance_forms
    from app.referrals import forms as referral_forms
    from app.reports import forms as report_forms

    seen = 0
    for module in (admin_forms, finance_forms, referral_forms, report_forms):
        for _, form in inspect.getmembers(module, inspect.isclass):
            for name, field in vars(form).items():
                for v in (getattr(field, "kwargs", {}) or {}).get("validators", []) or []:
                    if isinstance(v, Length):
                        seen += 1
                        assert v.message, f"{module.__name__}.{form.__name__}.{name} would show WTForms' own text"
    assert seen >= 10


def test_audit_page_shows_readable_action_names(world, client):
    from app import audit

    audit.record(world.worker_a, "person.viewed", world.person_a)
    audit.record(world.worker_a, "budget_line.updated")
    db.session.flush()
    sign_in(client, world.admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Viewed a person" in page and "Budget line updated" in page


def test_a_ledger_re_upload_that_adds_nothing_says_so(world, client):
    import io

    from tests.finance.test_ledger import GOOD

    sign_in(client, world.finance)
    for _ in range(2):
        r = client.post("/finance/years/2024/ledger", data={"quarter": "2", "file": (io.BytesIO(GOOD), "q2.csv")},
                        content_type="multipart/form-data", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "Nothing was added: all 3 rows of this file were already imported" in page
    assert "0 rows added" not in page


def _closed_case(world, closed_on):
    from app.referrals.transitions import ReferralStatus
    from tests.factories import ReferralStatusChangeFactory

    r = ReferralFactory(site=world.site_a, person=PersonFactory(organisation=world.org_a, family_name="Reopened"),
                        referred_on=closed_on - timedelta(days=30), reached_on=closed_on - timedelta(days=28),
                        status=ReferralStatus.CLOSED, closed_on=closed_on, closure_reason="Disengaged")
    ReferralStatusChangeFactory(referral=r, from_status=ReferralStatus.ENGAGED, to_status=ReferralStatus.CLOSED,
                                changed_at=datetime.combine(closed_on, time(12)))
    db.session.flush()
    return r


def test_a_manager_reopens_a_closed_case_with_a_reason_in_its_history(world, client):
    from app.referrals.transitions import ReferralStatus

    r = _closed_case(world, date.today() - timedelta(days=5))
    sign_in(client, world.manager_a)
    assert "Reopen the case" in client.get(f"/referrals/{r.id}").get_data(as_text=True)
    short = client.post(f"/referrals/{r.id}/reopen", data={"reason": "back", "version": r.version_id})
    assert "at least 10 characters" in short.get_data(as_text=True)
    done = client.post(f"/referrals/{r.id}/reopen", data={"reason": "They came back and want to carry on",
                                                          "version": r.version_id}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Case reopened" in page and "Reopened: They came back and want to carry on" in page
    db.session.refresh(r)
    assert (r.status, r.closed_on, r.closure_reason) == (ReferralStatus.ENGAGED, None, None)


def test_a_case_that_closed_in_a_locked_quarter_cannot_be_reopened(world, client):
    from app.periods.models import PeriodStatus, ReportingPeriod

    r = _closed_case(world, date(2024, 8, 1))
    db.session.add(ReportingPeriod(fy=2024, quarter=2, status=PeriodStatus.LOCKED))
    db.session.flush()
    sign_in(client, world.programme_office)
    page = client.post(f"/referrals/{r.id}/reopen", data={"reason": "They came back and want to carry on",
                                                          "version": r.version_id}).get_data(as_text=True)
    assert "which is locked" in page
    db.session.refresh(r)
    assert r.closed_on == date(2024, 8, 1)


def test_a_youth_worker_cannot_reopen_a_case(world, client):
    r = _closed_case(world, date.today() - timedelta(days=5))
    sign_in(client, world.worker_a)
    assert "Reopen the case" not in client.get(f"/referrals/{r.id}").get_data(as_text=True)
    assert client.get(f"/referrals/{r.id}/reopen").status_code == 403


def test_merge_defaults_to_the_more_complete_record_shows_what_is_kept_and_asks_first(world, client):
    from app.referrals.ethnicity import Ethnicity
    from app.referrals.models import Person, Sex

    sparse = PersonFactory(organisation=world.org_a, given_name="Dami", family_name="Ade", date_of_birth=None,
                           sex=None, ethnicity=None)
    full = PersonFactory(organisation=world.org_a, given_name="Dami", family_name="Ade",
                         date_of_birth=date(2008, 1, 2), sex=Sex.FEMALE, ethnicity=Ethnicity.BLACK_AFRICAN,
                         home_area="Reading")
    ReferralFactory(site=world.site_a, person=sparse, referred_on=date.today() - timedelta(days=3))
    ReferralFactory(site=world.site_a, person=full, referred_on=date.today() - timedelta(days=9))
    db.session.flush()
    sign_in(client, world.manager_a)
    url = f"/referrals/merge/{sparse.id}/{full.id}"
    compare = client.get(url).get_data(as_text=True)
    assert re.search(rf'value="{full.id}"[^>]*checked|checked[^>]*value="{full.id}"', compare)
    asked = client.post(url, data={"keep": str(full.id)}).get_data(as_text=True)
    assert "What the kept record will hold" in asked and "Yes, merge these records" in asked
    db.session.refresh(sparse)
    assert sparse.merged_into_id is None  # nothing happened yet
    done = client.post(url, data={"keep": str(full.id), "confirm": "yes"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    db.session.refresh(sparse)
    assert sparse.merged_into_id == full.id
    assert "now has 2 open referrals to" in page and "A manager should check them" in page
    assert db.session.get(Person, full.id).date_of_birth == date(2008, 1, 2)
